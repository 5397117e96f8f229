import { runAction } from '../../run-action.js';
import { run } from './main.js';

await runAction({ action: 'ecr-build-push', main: run });
