/** Schedule: when sending may start, and when it stops (what is left then expires). */
import { Grid, TextField } from '@radix-ui/themes';
import { describedBy, Field } from '../../../components/ui';
import type { Form, SetField } from '../form';
import type { FieldErrorOf } from '../save-errors';
import { Section } from '../Section';

export function ScheduleSection({ form, set, e }: { form: Form; set: SetField; e: FieldErrorOf }) {
  return (
    <Section title="Schedule" aside="optional">
      <Grid columns={{ initial: '1', sm: '2' }} gap="4">
        <Field id="c-after" label="Start sending at" error={e('sendAfter')} hint="Empty: start at the next batch after you queue it.">
          <TextField.Root
            {...describedBy('c-after', e('sendAfter'))}
            type="datetime-local"
            value={form.sendAfter}
            onChange={(ev) => set('sendAfter', ev.target.value)}
          />
        </Field>
        <Field id="c-stop" label="Stop sending at" error={e('stopAfter')} hint="What has not gone out by then is marked expired.">
          <TextField.Root
            {...describedBy('c-stop', e('stopAfter'))}
            type="datetime-local"
            value={form.stopAfter}
            onChange={(ev) => set('stopAfter', ev.target.value)}
          />
        </Field>
      </Grid>
    </Section>
  );
}
