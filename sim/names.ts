import type { Prng } from './prng.ts';

/**
 * Customer names as a partner's list really holds them: mostly Indian and Western names
 * and businesses, and enough of the awkward ones (other scripts, emoji, combining marks,
 * control characters, 300-character names) that clients cannot assume ASCII.
 */

export type NameKind =
  | 'indian'
  | 'western'
  | 'business'
  | 'devanagari'
  | 'tamil'
  | 'chinese'
  | 'arabic'
  | 'emoji'
  | 'combining'
  | 'tricky'
  | 'control'
  | 'long';

const INDIAN_FIRST = [
  'Aarav',
  'Priya',
  'Rohan',
  'Ananya',
  'Vikram',
  'Sneha',
  'Arjun',
  'Kavya',
  'Rahul',
  'Isha',
  'Karthik',
  'Meera',
  'Siddharth',
  'Pooja',
  'Aditya',
  'Divya',
  'Nikhil',
  'Riya',
  'Sanjay',
  'Lakshmi',
  'Harpreet',
  'Farhan',
  'Zoya',
  'Venkatesh',
  'Anjali',
  'Gaurav',
  'Shreya',
  'Manoj',
  'Deepika',
  'Imran',
];
const INDIAN_LAST = [
  'Sharma',
  'Patel',
  'Iyer',
  'Reddy',
  'Nair',
  'Gupta',
  'Singh',
  'Mehta',
  'Kumar',
  'Joshi',
  'Rao',
  'Das',
  'Menon',
  'Chatterjee',
  'Verma',
  'Khan',
  'Bose',
  'Pillai',
  'Agarwal',
  'Kulkarni',
];
const WESTERN_FIRST = [
  'John',
  'Emma',
  'Olivia',
  'Liam',
  'Noah',
  'Ava',
  'Sophia',
  'James',
  'Mia',
  'Lucas',
  'Grace',
  'Ethan',
];
const WESTERN_LAST = [
  'Smith',
  'Brown',
  'Chen',
  'Williams',
  'Taylor',
  'Wilson',
  'Martin',
  'Clarke',
  'Walker',
  'Lee',
];
const BUSINESS_HEAD = [
  'Sunrise',
  'Apex',
  'Bluewave',
  'Ganga',
  'Sahyadri',
  'Metro',
  'Lotus',
  'Orbit',
  'Pinnacle',
  'Deccan',
  'Zenith',
  'Coastal',
  'Himalaya',
  'Vertex',
  'Kaveri',
];
const BUSINESS_TAIL = [
  'Telecom',
  'Solutions Pvt Ltd',
  'Enterprises',
  'Call Center',
  'Technologies',
  'Logistics LLP',
  'Realty',
  'Healthcare',
  'Foods',
  'Fintech Pvt. Ltd.',
  'Travels',
  'Voice Services',
];
const DEVANAGARI = ['राहुल शर्मा', 'प्रिया पटेल', 'अमित कुमार', 'सुनीता देवी', 'विकास ट्रेडर्स', 'श्री गणेश एंटरप्राइजेज'];
const TAMIL = ['கார்த்திக் ராஜா', 'மீனா சுந்தரம்', 'சென்னை டெலிகாம்', 'செல்வி முருகன்'];
const CHINESE = ['王伟', '李娜', '张敏', '深圳通讯有限公司', '陈静'];
const ARABIC = ['محمد العلي', 'فاطمة الزهراء', 'شركة الخليج للاتصالات', 'عمر حسن'];
const EMOJI = [
  'Chai ☕ Calls',
  'Rocket 🚀 Dialer',
  '👨‍👩‍👧 Family Connect',
  '🇮🇳 Bharat Voice',
  'Smile 😀 Support',
  '🔥🔥🔥',
];
// Decomposed on purpose: "e" followed by U+0301, not the precomposed "é".
const COMBINING = [
  'Zoe\u0308 Cafe\u0301',
  'Jose\u0301 Nun\u0303ez',
  'Ama\u0301lie Dupre\u0301',
  'Ren\u00e9e Fran\u00e7ois',
];
const TRICKY = [
  'O\'Brien & Sons "Ltd"',
  '<b>Bold</b> Telecom',
  'Back\\slash Co',
  '  Padded Name  ',
  "Robert'); DROP TABLE customers;--",
  'Mixed हिंदी and English',
  '\u200fRTL mark Co',
];
const CONTROL = ['Acme\tTelecom', 'Line\nBreak Ltd', 'Bell\u0007Ringers', 'Carriage\r\nReturn Pvt Ltd'];

/** Relative weights of the kinds drawn at random; `long` and `control` are rare but forced in (see accounts.ts). */
const WEIGHTS: ReadonlyArray<readonly [NameKind, number]> = [
  ['indian', 620],
  ['western', 100],
  ['business', 120],
  ['devanagari', 40],
  ['tamil', 30],
  ['chinese', 30],
  ['arabic', 20],
  ['emoji', 15],
  ['combining', 15],
  ['tricky', 6],
  ['control', 2],
  ['long', 2],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

export function drawNameKind(rng: Prng): NameKind {
  let r = rng.next() * TOTAL_WEIGHT;
  for (const [kind, weight] of WEIGHTS) {
    r -= weight;
    if (r < 0) return kind;
  }
  return 'indian';
}

export interface GeneratedName {
  name: string;
  /** ASCII local part for the email, without the uniqueness suffix. */
  emailLocal: string;
}

export function generateName(rng: Prng, kind: NameKind): GeneratedName {
  switch (kind) {
    case 'indian': {
      const first = rng.pick(INDIAN_FIRST);
      const last = rng.pick(INDIAN_LAST);
      return { name: `${first} ${last}`, emailLocal: `${first}.${last}` };
    }
    case 'western': {
      const first = rng.pick(WESTERN_FIRST);
      const last = rng.pick(WESTERN_LAST);
      return { name: `${first} ${last}`, emailLocal: `${first}.${last}` };
    }
    case 'business': {
      const head = rng.pick(BUSINESS_HEAD);
      const tail = rng.pick(BUSINESS_TAIL);
      return { name: `${head} ${tail}`, emailLocal: `accounts.${head}` };
    }
    case 'devanagari':
      return { name: rng.pick(DEVANAGARI), emailLocal: 'customer' };
    case 'tamil':
      return { name: rng.pick(TAMIL), emailLocal: 'customer' };
    case 'chinese':
      return { name: rng.pick(CHINESE), emailLocal: 'customer' };
    case 'arabic':
      return { name: rng.pick(ARABIC), emailLocal: 'customer' };
    case 'emoji':
      return { name: rng.pick(EMOJI), emailLocal: 'hello' };
    case 'combining':
      return { name: rng.pick(COMBINING), emailLocal: 'contact' };
    case 'tricky':
      return { name: rng.pick(TRICKY), emailLocal: 'ops' };
    case 'control':
      return { name: rng.pick(CONTROL), emailLocal: 'billing' };
    case 'long':
      return { name: longName(rng), emailLocal: 'longname' };
  }
}

/** Exactly 300 code points, in Latin or Devanagari (so truncation must respect characters). */
function longName(rng: Prng): string {
  const devanagari = rng.next() < 0.5;
  const words = devanagari
    ? ['श्री', 'गणेश', 'टेलीकॉम', 'सेवाएं', 'प्राइवेट', 'लिमिटेड']
    : BUSINESS_HEAD.concat(BUSINESS_TAIL);
  const chars: string[] = [];
  while (chars.length < 300) {
    chars.push(...Array.from(rng.pick(words)), ' ');
  }
  const cut = chars.slice(0, 300);
  // A name does not end in a space; swap a trailing one for a letter.
  if (cut[299] === ' ') cut[299] = devanagari ? 'क' : 'X';
  return cut.join('');
}
