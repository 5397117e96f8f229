import { runAction } from '../../run-action.js';
import { run } from './main.js';

await runAction({ action: 'await-deployment', main: run });
