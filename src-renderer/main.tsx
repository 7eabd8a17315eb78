import '@radix-ui/themes/styles.css';
import './styles.css';
import { Theme } from '@radix-ui/themes';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api/client';
import { ApiProvider, makeQueryClient } from './api/hooks';
import { App } from './App';
import { ToastProvider } from './components/Toasts';

const container = document.getElementById('root');
if (!container) throw new Error('Trickle: #root is missing from index.html');

const client = createApiClient();
const queryClient = makeQueryClient();

createRoot(container).render(
  <StrictMode>
    <Theme accentColor="indigo" grayColor="slate" radius="medium" scaling="100%" appearance="light" panelBackground="solid">
      <ApiProvider client={client} queryClient={queryClient}>
        <ToastProvider>
          <App />
        </ToastProvider>
      </ApiProvider>
    </Theme>
  </StrictMode>,
);
