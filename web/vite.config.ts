import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  // SvelteKit's runtime needs its own version of `cookie` (the workspace root hoists another one):
  // bundle it from where the runtime resolves it instead of importing it at run time.
  ssr: { noExternal: ['cookie'] },
});
