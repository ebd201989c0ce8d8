/*
 * Dosewise's start-up hook for SQLCipher (see docs/BENCHMARKS.md, "The dose log's start-up").
 *
 * SQLCipher, when SQLite first initialises, draws random bytes from its crypto provider for
 * its memory shield and its internal generator. With the OpenSSL provider that one call
 * initialises all of OpenSSL (providers, the DRBG, configuration, error strings) and OpenSSL
 * tears it all down at exit — in every process, even one that only opens a plaintext journal.
 *
 * This hook runs in SQLCipher's place at that moment (SQLITE_EXTRA_INIT is pointed here by
 * LIBSQLITE3_FLAGS in .cargo/config.toml) and registers SQLCipher's own OpenSSL provider with
 * one change: its random bytes come from the operating system's generator (getentropy, the
 * kernel CSPRNG that OpenSSL itself seeds from). Key derivation, the page cipher and the HMAC
 * stay OpenSSL's, so the file format is SQLCipher 4's exactly, and OpenSSL initialises only
 * when a key is first used. Then SQLCipher's own initialisation runs as before.
 *
 * The provider's layout below is SQLCipher 4.10's (libsqlite3-sys 0.37, pinned exactly in the
 * workspace's Cargo.toml); the store's tests check the version and that journals encrypted by
 * the earlier build still open.
 */
#include <stddef.h>
#include <string.h>

#if defined(__linux__) || defined(__APPLE__)
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/random.h>
#endif
#define DOSEWISE_OS_RANDOM 1
#endif

typedef struct provider provider;
struct provider {
  int (*init)(void);
  void (*shutdown)(void);
  const char *(*get_provider_name)(void *ctx);
  int (*add_random)(void *ctx, const void *buffer, int length);
  int (*random)(void *ctx, void *buffer, int length);
  int (*hmac)(void *ctx, int algorithm, const unsigned char *key, int key_sz,
              const unsigned char *in, int in_sz, const unsigned char *in2, int in2_sz,
              unsigned char *out);
  int (*kdf)(void *ctx, int algorithm, const unsigned char *pass, int pass_sz,
             const unsigned char *salt, int salt_sz, int workfactor, int key_sz,
             unsigned char *key);
  int (*cipher)(void *ctx, int mode, const unsigned char *key, int key_sz,
                const unsigned char *iv, const unsigned char *in, int in_sz,
                unsigned char *out);
  const char *(*get_cipher)(void *ctx);
  int (*get_key_sz)(void *ctx);
  int (*get_iv_sz)(void *ctx);
  int (*get_block_sz)(void *ctx);
  int (*get_hmac_sz)(void *ctx, int algorithm);
  int (*ctx_init)(void **ctx);
  int (*ctx_free)(void **ctx);
  int (*fips_status)(void *ctx);
  const char *(*get_provider_version)(void *ctx);
  provider *next;
};

/* From the SQLCipher amalgamation that libsqlite3-sys compiles. */
extern int sqlcipher_extra_init(const char *arg);
extern int sqlcipher_openssl_setup(provider *p);
extern int sqlcipher_register_provider(provider *p);
extern provider *sqlcipher_get_provider(void);
extern void *sqlite3_malloc(int n);

#define DOSEWISE_OK 0
#define DOSEWISE_ERROR 1
#define DOSEWISE_NOMEM 7

#ifdef DOSEWISE_OS_RANDOM
/* SQLCipher's provider contract: 0 (SQLITE_OK) on success. getentropy takes at most 256
 * bytes a call. */
static int os_random(void *ctx, void *buffer, int length) {
  unsigned char *out = buffer;
  (void)ctx;
  while (length > 0) {
    int n = length > 256 ? 256 : length;
    if (getentropy(out, (size_t)n) != 0) {
      return DOSEWISE_ERROR;
    }
    out += n;
    length -= n;
  }
  return DOSEWISE_OK;
}
#endif

/* Called by sqlite3_initialize (after SQLite itself is initialised, before it returns), once
 * per process while it succeeds, under SQLite's own initialisation mutex. */
int dosewise_sqlcipher_init(const char *arg) {
#ifdef DOSEWISE_OS_RANDOM
  if (sqlcipher_get_provider() == NULL) {
    /* Freed by SQLCipher at shutdown with sqlite3_free, as its own provider is. */
    provider *p = sqlite3_malloc((int)sizeof(provider));
    if (p == NULL) {
      return DOSEWISE_NOMEM;
    }
    memset(p, 0, sizeof(provider));
    sqlcipher_openssl_setup(p);
    p->random = os_random;
    sqlcipher_register_provider(p);
  }
#endif
  return sqlcipher_extra_init(arg);
}
