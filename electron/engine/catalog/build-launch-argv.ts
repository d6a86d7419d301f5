// Moved to shared/ so the privileged helper rebuilds the same argv from its own catalog.
export { buildLaunch, type Launch, type LaunchOverrides } from '../../../shared/build-launch-argv.js';
