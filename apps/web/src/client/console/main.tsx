import { render } from 'preact';
import '../shared/base.css';
import './console.css';
import { loadSite } from '../shared/site.js';
import { ConsoleApp } from './app.js';

const root = document.getElementById('app')!;
try {
  render(<ConsoleApp site={await loadSite()} />, root);
} catch (failure) {
  root.textContent = `The console could not start: ${failure instanceof Error ? failure.message : String(failure)}`;
}
