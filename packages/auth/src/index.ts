export { createTokenService } from './tokens';
export type { TokenService, SessionClaims, VerifiedSession } from './tokens';
