/** Hono's per-request variables in the gateway app. */
export interface GatewayEnv {
  Variables: {
    /** The X-Request-Id in force (the client's, validated, or a fresh one). */
    requestId: string;
    /** The caller's API key when keys are configured. */
    apiKey: string | null;
  };
}
