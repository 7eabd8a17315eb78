/** A button that opens the file chooser (the file input itself stays hidden). */
import { UploadIcon } from '@radix-ui/react-icons';
import { Button } from '@radix-ui/themes';
import { type ReactNode, useRef } from 'react';

export function FilePicker({
  id,
  label,
  accept,
  multiple,
  busy,
  onFiles,
  icon,
}: {
  id: string;
  label: string;
  accept?: string;
  multiple?: boolean;
  busy?: boolean;
  onFiles: (files: FileList) => void;
  icon?: ReactNode;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={input}
        id={id}
        type="file"
        className="tr-visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        accept={accept}
        multiple={multiple}
        onChange={(ev) => {
          if (ev.target.files?.length) onFiles(ev.target.files);
          ev.target.value = '';
        }}
      />
      <Button type="button" variant="soft" loading={busy} onClick={() => input.current?.click()}>
        {icon ?? <UploadIcon />} {label}
      </Button>
    </>
  );
}
