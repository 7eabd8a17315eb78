// What a failure notice's status means, in a sentence a person understands (PRODUCT.md §5b).
// The status is the enhanced code of RFC 3463 (class.subject.detail); the words of the server
// that refused are kept beside it, verbatim.

/** For a permanent failure (5.x.x): what happened, and that the address is now suppressed. */
export function bounceExplanation(status: string): string {
  const [, subject, detail] = status.split('.');
  const suppressed = ' Trickle put the address on the suppression list, so no campaign sends to it again.';
  if (subject === '1') {
    if (detail === '2' || detail === '8')
      return `The recipient’s domain does not exist or takes no mail, so the message came back.${suppressed}`;
    return `The address does not exist: the recipient’s mail server says there is no such mailbox, so the message came back.${suppressed}`;
  }
  if (subject === '2') {
    if (detail === '2') return `The recipient’s mailbox is full and refuses new mail, so the message came back.${suppressed}`;
    return `The recipient’s mailbox is disabled and no longer takes mail, so the message came back.${suppressed}`;
  }
  if (subject === '4')
    return `Gmail could not reach a mail server for the recipient’s domain (it may not exist), so the message came back.${suppressed}`;
  if (subject === '7') return `The recipient’s mail server refused the message (as spam, or by its policy), so it came back.${suppressed}`;
  return `The recipient’s mail server refused the message for good, so it came back.${suppressed}`;
}

/** For a temporary one (4.x.x): nothing is done, the sender's server keeps trying. */
export function delayExplanation(): string {
  return 'Delivery is delayed: Gmail keeps trying and says so if it gives up. Nothing to do yet.';
}
