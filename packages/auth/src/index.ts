export { createTokenService } from './tokens';
export type { TokenService, SessionClaims, SessionKind, VerifiedSession } from './tokens';
export { createAppTokenVerifier, appUserId } from './app-tokens';
export type { AppTokenVerifier, AppTokenOptions, AppIdentity } from './app-tokens';
export { newUserKey, hashUserKey, userKeyMatches, secretMatches } from './user-keys';
