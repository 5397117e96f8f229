import { runAction } from '../../run-action.js';
import { run } from './main.js';

await runAction({ action: 'update-manifest', main: run });
