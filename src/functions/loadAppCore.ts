/** Loads the SDK-heavy core on first use: host start-up only pays for the registrations. */
export const loadAppCore = () => import('./appCore.js');
