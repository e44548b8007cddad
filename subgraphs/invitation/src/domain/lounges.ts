/** The Madrid T4 lounges of DOMAIN.md; reference data every deployment has. */
export const SEEDED_LOUNGES = [
  { code: 'MAD-VELAZQUEZ', airport: 'MAD', terminal: 'T4S', name: 'Sala VIP Velázquez', capacity: 400, openingHours: '05:00-23:00' },
  { code: 'MAD-DALI', airport: 'MAD', terminal: 'T4', name: 'Sala VIP Dalí', capacity: 350, openingHours: '05:00-22:30' },
  { code: 'MAD-GOYA', airport: 'MAD', terminal: 'T4S', name: 'Sala VIP Goya', capacity: 250, openingHours: '06:00-22:00' },
];

export { findActiveLounges as listLounges } from '../db/invitations.repo.ts';
