// The seeded RNG lives in util/rng; this re-export keeps bench/ scripts' imports working
// until they import it from there.
export * from '../util/rng';
