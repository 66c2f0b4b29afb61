// The device sign-in's small rules: the return path after signing in, the device's readable name
// and how long ago it asked.
import { expect } from 'chai';
import { deviceLabel } from '../../src/device/device-label.ts';
import { displayUserCode, normalizeUserCode } from '../../src/device/device-routes.ts';
import { inLocale } from '../../src/i18n/current-locale.ts';
import { describeDevice, startedAgo } from '../../src/oidc/device-pages.ts';
import {
  decodeState,
  deviceReturnPath,
  encodeState,
  isReturnPath,
} from '../../src/self-service/sign-in-state.ts';

describe('the return path after signing in for a device', () => {
  it('is the device code page, with or without a well-formed code', () => {
    expect(isReturnPath('/device')).to.equal(true);
    expect(isReturnPath('/device?user_code=BCDF-GHJK')).to.equal(true);
  });

  it('is never another page, another site or anything with extra parts', () => {
    for (const evil of [
      'https://evil.example/device',
      '//evil.example/device',
      '/device/../account',
      '/device?user_code=X&next=//evil.example',
      '/device?user_code=<script>',
      '/devices',
      '/device#x',
      '\\\\evil.example',
    ]) {
      expect(isReturnPath(evil), evil).to.equal(false);
    }
  });

  it('drops a code that is not letters, digits and hyphens', () => {
    expect(deviceReturnPath('BCDF-GHJK')).to.equal('/device?user_code=BCDF-GHJK');
    expect(deviceReturnPath('a b')).to.equal('/device');
    expect(deviceReturnPath(undefined)).to.equal('/device');
  });

  it('survives the state cookie, alone and beside a re-authentication', () => {
    const returnTo = '/device?user_code=BCDF-GHJK';
    expect(decodeState(encodeState({ state: 's', returnTo }))).to.deep.equal({
      state: 's',
      returnTo,
    });
    const reauth = { section: 'password' as const, accountId: 'a1' };
    expect(decodeState(encodeState({ state: 's', reauth, returnTo }))).to.deep.equal({
      state: 's',
      reauth,
      returnTo,
    });
    expect(decodeState(encodeState({ state: 's' }))).to.deep.equal({ state: 's' });
  });

  it('is forgotten when the cookie holds anything but a device path', () => {
    const forged = `s...${Buffer.from('https://evil.example').toString('base64url')}`;
    expect(decodeState(forged)).to.deep.equal({ state: 's' });
  });
});

describe('the device as a person reads it', () => {
  it('names the browser and system of common user agents', () => {
    const tv =
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/538.1 (KHTML, like Gecko) Version/6.0 TV Safari/538.1';
    expect(deviceLabel(tv)).to.deep.equal({ program: 'Safari', os: 'TV' });
    const android =
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
    expect(deviceLabel(android)).to.deep.equal({ program: 'Chrome', os: 'Android' });
    const edge =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0';
    expect(deviceLabel(edge)).to.deep.equal({ program: 'Edge', os: 'Windows' });
    expect(deviceLabel('curl/8.5.0')).to.deep.equal({ program: 'curl' });
  });

  it('says it does not know rather than guessing', () => {
    expect(describeDevice({ ua: 'SomethingElse/1.0' })).to.equal('An unknown device');
    expect(describeDevice({})).to.equal('An unknown device');
    expect(describeDevice({ ua: 'curl/8.5.0' })).to.equal('curl');
  });

  it('says how long ago the device asked, in the page language', () => {
    const now = 1_800_000_000_000;
    const issued = now / 1000 - 180;
    expect(startedAgo(issued, now)).to.equal('3 minutes ago');
    expect(inLocale({ cookie: 'de' }, () => startedAgo(issued, now))).to.equal('vor 3 Minuten');
    expect(startedAgo(now / 1000, now)).to.equal('now');
  });
});

describe('user codes as typed', () => {
  it('ignore case and the hyphen, and show with the hyphen', () => {
    expect(normalizeUserCode('bcdf-ghjk')).to.equal('BCDFGHJK');
    expect(normalizeUserCode(' BcDf GhJk ')).to.equal('BCDFGHJK');
    expect(displayUserCode('BCDFGHJK')).to.equal('BCDF-GHJK');
  });
});
