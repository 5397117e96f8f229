import { runAction } from '../../run-action.js';
import { run } from './main.js';

await runAction({ action: 'checkout-manifests', main: run });
