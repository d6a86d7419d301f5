/** Version of the engine and its API, reported by /api/state. Keep in step with package.json. */
export const SWITCHBOARD_VERSION = '0.1.0';
