export { createTokenService } from './tokens';
export type { TokenService, SessionClaims } from './tokens';
