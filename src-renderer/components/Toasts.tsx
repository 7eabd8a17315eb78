/** Short confirmations ("Queued 1,234 emails") in the corner, announced to screen readers. */
import { CheckCircledIcon, Cross2Icon, ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { IconButton, Text } from '@radix-ui/themes';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from 'react';

type Tone = 'success' | 'error' | 'info';
interface Toast {
  id: number;
  text: ReactNode;
  tone: Tone;
}

const ToastContext = createContext<(text: ReactNode, tone?: Tone) => void>(() => {});

export function useToast() {
  return useContext(ToastContext);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (text: ReactNode, tone: Tone = 'success') => {
      const id = next.current++;
      setToasts((all) => [...all.slice(-3), { id, text, tone }]);
      setTimeout(() => dismiss(id), tone === 'error' ? 9000 : 5000);
    },
    [dismiss],
  );
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="tr-toasts" aria-live="polite" role="status">
        {toasts.map((t) => (
          <div key={t.id} className={`tr-toast tr-toast--${t.tone}`}>
            {t.tone === 'error' ? <ExclamationTriangleIcon /> : <CheckCircledIcon />}
            <Text size="2" className="tr-toast__text">
              {t.text}
            </Text>
            <IconButton size="1" variant="ghost" color="gray" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              <Cross2Icon />
            </IconButton>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
