export { resolveTestServices, provideTestServices, type TestServices } from './services.js';
