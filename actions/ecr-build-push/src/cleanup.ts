import { runAction } from '../../run-action.js';
import { removeCredentials } from './credentials.js';

// The runner's `post` of ecr-build-push, and the composite's last step.
await runAction({ action: 'ecr-build-push', post: removeCredentials });
