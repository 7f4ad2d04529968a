// A real OpenID Connect provider for the tests (the certified `oidc-provider` package), on loopback.
//
//   PORT=9010 REDIRECT_URIS=http://127.0.0.1:8000/account/oidc/callback/ \
//   POST_LOGOUT_REDIRECT_URIS=http://127.0.0.1:8000/ node tests/oidc/provider.js
//
// One confidential client (motcua / motcua-test-secret), authorization code flow with PKCE required.
// devInteractions give headless login and consent pages: the login name chooses the demo account below (any
// password). Issuer: http://127.0.0.1:PORT. Prints "ready <issuer>" once listening.
'use strict';

const ACCOUNTS = {
  // The demo citizen (motcua/demo/data.py, motcua/demo/citizens.csv).
  an: { cccd: '001209012345', name: 'Nguyễn Văn An', birthdate: '2009-03-15', gender: 'male' },
  // A citizen without a motcua account yet: the first login makes one.
  dung: { cccd: '001302000123', name: 'Phạm Thị Dung', birthdate: '2002-07-20', gender: 'female',
          email: 'dung.pham@example.vn', email_verified: true },
  // The provider vouches for a person but gives no ID number: refused by motcua.
  nocccd: { name: 'Không Có Số', birthdate: '1990-01-01' },
};

function list(name) {
  return (process.env[name] || '').split(',').map((item) => item.trim()).filter(Boolean);
}

async function main() {
  const { default: Provider } = await import('oidc-provider');
  const port = Number(process.env.PORT || 9010);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.CLIENT_ID || 'motcua',
      client_secret: process.env.CLIENT_SECRET || 'motcua-test-secret',
      redirect_uris: list('REDIRECT_URIS'),
      post_logout_redirect_uris: list('POST_LOGOUT_REDIRECT_URIS'),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    claims: { openid: ['sub'], profile: ['name', 'birthdate', 'gender', 'cccd'], email: ['email', 'email_verified'] },
    cookies: { keys: ['motcua-test-only-cookie-key'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(ctx, id) {
      const claims = ACCOUNTS[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
  });
  provider.listen(port, '127.0.0.1', () => {
    process.stdout.write(`ready ${issuer}\n`);
  });
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
