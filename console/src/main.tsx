import { render } from 'preact';
import { loadConfig } from './api';
import { App } from './app';
import './styles.css';

const root = document.getElementById('app') as HTMLElement;
loadConfig().then(
  () => render(<App />, root),
  () => {
    root.innerHTML =
      '<main><h1>Conveyor console</h1><p role="alert">The console could not read its configuration (config.json). Reload the page.</p></main>';
  },
);
