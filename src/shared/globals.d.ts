/** The app version, injected at build time from package.json. */
declare const __OCELLUS_VERSION__: string;
