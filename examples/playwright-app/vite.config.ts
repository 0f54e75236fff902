import { defineConfig } from 'vite';
import { workspaceAliases } from '../../workspaceAliases.js';

// Inside the Confer repository `confer` resolves to its TypeScript sources; in your app, drop the alias.
export default defineConfig({ resolve: { alias: workspaceAliases }, server: { host: '127.0.0.1' } });
