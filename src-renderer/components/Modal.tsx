/**
 * A modal dialog on the native <dialog> element, dressed in the Radix Themes tokens.
 *
 * Why not Radix's Dialog: its scroll lock (react-remove-scroll) injects a <style> element at
 * run time, which this page's CSP (`style-src 'self'`, no 'unsafe-inline') refuses and
 * reports as a violation. `showModal()` gives the same behaviour natively: the rest of the
 * page is inert (focus stays in the dialog), Escape closes it, focus returns to where it was.
 * Portalled Radix popups (Select, Tooltip) would open beneath the top layer, so dialogs use
 * native form controls only.
 */
import { Cross2Icon } from '@radix-ui/react-icons';
import { Flex, Heading, IconButton, Text } from '@radix-ui/themes';
import { type ReactNode, useEffect, useId, useRef } from 'react';

export interface ModalProps {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  /** Max width in px (default 520). */
  width?: number;
  /** Whether a click on the dimmed backdrop closes it (default false: a form keeps its input). */
  closeOnBackdrop?: boolean;
}

export function Modal({ open, onClose, title, description, children, width = 520, closeOnBackdrop = false }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const previous = document.activeElement as HTMLElement | null;
      dialog.showModal();
      // React's autoFocus runs before the dialog opens; focus the intended field now.
      const target =
        dialog.querySelector<HTMLElement>('[data-autofocus]') ??
        dialog.querySelector<HTMLElement>('.tr-modal__body input:not([type=hidden]), .tr-modal__body select, .tr-modal__body textarea');
      target?.focus();
      return () => {
        if (dialog.open) dialog.close();
        previous?.focus?.();
      };
    }
    return undefined;
  }, [open]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    // Escape: let React state decide, so the dialog never closes behind its owner's back.
    const onCancel = (event: Event) => {
      event.preventDefault();
      onCloseRef.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => dialog.removeEventListener('cancel', onCancel);
  }, []);

  return (
    <dialog
      ref={ref}
      className="tr-modal"
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      style={{ width: `min(${width}px, calc(100vw - 32px))` }}
      onMouseDown={(event) => {
        if (closeOnBackdrop && event.target === ref.current) onClose();
      }}
    >
      {open && (
        <div className="tr-modal__body">
          <Flex justify="between" align="start" gap="3" mb={description ? '1' : '4'}>
            <Heading as="h2" size="5" id={titleId}>
              {title}
            </Heading>
            <IconButton type="button" variant="ghost" color="gray" aria-label="Close" onClick={onClose} className="tr-flush">
              <Cross2Icon />
            </IconButton>
          </Flex>
          {description && (
            <Text as="p" size="2" color="gray" mb="4" id={descriptionId}>
              {description}
            </Text>
          )}
          {children}
        </div>
      )}
    </dialog>
  );
}
