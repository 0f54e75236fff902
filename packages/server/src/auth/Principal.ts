/** The roles a token can carry: USER acts on its own endpoints; SERVICE reads any conference and sends events. */
export type Role = 'USER' | 'SERVICE';

/** Every role, for checks of what a token or a clients file claims. */
export const ROLES: readonly Role[] = ['USER', 'SERVICE'];

/** Who is calling, as the verified bearer token says. */
export interface Principal {
  userId: string;
  roles: readonly Role[];
  organizationId: string;
  clientId: string;
}

/** Whether the caller has the SERVICE role. */
export function isService(principal: Principal): boolean {
  return principal.roles.includes('SERVICE');
}
