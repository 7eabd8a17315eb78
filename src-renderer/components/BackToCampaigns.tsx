/** The "← Campaigns" link above a campaign's title. */
import { ArrowLeftIcon } from '@radix-ui/react-icons';
import { Link } from '@radix-ui/themes';
import { href } from '../lib/route';

export function BackToCampaigns() {
  return (
    <Link href={href({ page: 'campaigns' })} size="2" className="tr-back">
      <ArrowLeftIcon /> Campaigns
    </Link>
  );
}
