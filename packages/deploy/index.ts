export { ArgoCdClient, ArgoCdError } from './argocd.js';
export type {
  ArgoApplication,
  ArgoCdClientOptions,
  ArgoResourceResult,
  ArgoResourceStatus,
  FetchPort,
} from './argocd.js';
export {
  awaitDeployment,
  deploymentState,
  DeploymentFailedError,
  systemClock,
  sameImage,
  unhealthyResources,
} from './await-deployment.js';
export type { AwaitDeploymentRequest, Clock, DeploymentState } from './await-deployment.js';
export { recordDeployment, setDeploymentStatus } from './github-deployments.js';
export type { DeploymentRecordRequest, DeploymentStatusState } from './github-deployments.js';
export { confirmDeployment, deploymentLine, deploymentSummary } from './confirm-deployment.js';
export type {
  ConfirmDeploymentRequest,
  ConfirmedDeployment,
  DeploymentLine,
} from './confirm-deployment.js';
export { parseArgoApplicationName, parseArgoServer } from './inputs.js';
