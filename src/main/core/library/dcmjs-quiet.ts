import dcmjs from 'dcmjs';

// dcmjs logs "Invalid vr type ox - using OW" for the pixel data of implicit-VR files (ox is the
// dictionary's "OB or OW", and OW is right): lines on stderr that say nothing is wrong, while the
// CLI's errors are one line each. What dcmjs cannot read still throws.
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

/** dcmjs, with its validation log silenced. */
export default dcmjs;
