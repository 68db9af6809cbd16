/* API keys: the key format, Argon2id hashing and verification, the api_keys rows (create,
 * list, revoke, each audited) and authentication of "Authorization: Bearer KEY" headers,
 * including a revoked key refused on the very next check although it was cached as
 * verified. Expected hash parameters are libsodium's documented interactive limits
 * (opslimit 2, memlimit 64 MiB = m=65536 KiB, one lane); tests/cli/test_cli_serve.sh also
 * verifies a stored hash with Python's argon2-cffi, an independent implementation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segkit/server.h"
#include "segkit/workspace.h"
#include "server/server_int.h"
#include "testkit.h"

typedef struct fixture {
  char *dir;
  char *path;
  segkit_workspace *ws;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_mkdtemp();
  f->path = tu_path_join(f->dir, "ws.db");
  segkit_error err;
  assert_int_equal(segkit_workspace_open(f->path, SEGKIT_WORKSPACE_CREATE, &f->ws, &err),
                   SEGKIT_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  segkit_workspace_close(f->ws);
  tu_rmtree(f->dir);
  free(f->dir);
  free(f->path);
  free(f);
  return 0;
}

static void server_key_format_and_split(void **state) {
  (void)state;
  char key[SK_KEY_LEN + 1];
  char id[SK_KEY_ID_HEX + 1];
  char other[SK_KEY_LEN + 1];
  char other_id[SK_KEY_ID_HEX + 1];
  segkit_error err;
  assert_int_equal(sk__key_generate(key, id, &err), SEGKIT_OK);
  assert_int_equal(sk__key_generate(other, other_id, &err), SEGKIT_OK);
  assert_int_equal(strlen(key), 3 + 16 + 1 + 64);
  assert_memory_equal(key, "sk_", 3);
  assert_memory_equal(key + 3, id, 16);
  assert_int_equal(key[19], '_');
  assert_string_not_equal(key, other);
  char split[SK_KEY_ID_HEX + 1];
  assert_true(sk__key_split(key, split));
  assert_string_equal(split, id);

  char bad[SK_KEY_LEN + 2];
  snprintf(bad, sizeof bad, "%s", key);
  bad[0] = 'S';                                   /* prefix */
  assert_false(sk__key_split(bad, split));
  snprintf(bad, sizeof bad, "%s", key);
  bad[19] = '-';                                  /* separator */
  assert_false(sk__key_split(bad, split));
  snprintf(bad, sizeof bad, "%s", key);
  bad[30] = 'G';                                  /* not hex */
  assert_false(sk__key_split(bad, split));
  snprintf(bad, sizeof bad, "%sa", key);          /* too long */
  assert_false(sk__key_split(bad, split));
  assert_false(sk__key_split("sk_", split));
  assert_false(sk__key_split("", split));
  assert_false(sk__key_split(NULL, split));
}

static void server_key_hash_verifies_only_the_key(void **state) {
  (void)state;
  const char *key = "sk_0123456789abcdef_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  char hash[SK_KEY_HASH_MAX];
  char again[SK_KEY_HASH_MAX];
  segkit_error err;
  assert_int_equal(sk__key_hash(key, hash, &err), SEGKIT_OK);
  assert_int_equal(sk__key_hash(key, again, &err), SEGKIT_OK);
  /* libsodium's interactive limits, in the PHC string format. */
  assert_memory_equal(hash, "$argon2id$v=19$m=65536,t=2,p=1$", 31);
  assert_string_not_equal(hash, again);           /* a fresh salt each time */
  assert_true(sk__key_verify(hash, key));
  assert_true(sk__key_verify(again, key));
  char wrong[128];
  snprintf(wrong, sizeof wrong, "%s", key);
  wrong[strlen(wrong) - 1] = 'e';                 /* one character off */
  assert_false(sk__key_verify(hash, wrong));
  assert_false(sk__key_verify(hash, ""));
  assert_false(sk__key_verify("not a hash", key));
}

static void server_key_roles(void **state) {
  (void)state;
  segkit_server_role r = 0;
  segkit_error err;
  assert_int_equal(segkit_server_role_parse("write", &r, &err), SEGKIT_OK);
  assert_int_equal(r, SEGKIT_ROLE_WRITE);
  assert_int_equal(segkit_server_role_parse("Admin", &r, &err), SEGKIT_ERR_USAGE);
  assert_string_equal(err.field, "role");
  assert_non_null(strstr(err.message, "expected read, write or admin"));
  assert_string_equal(segkit_server_role_name(SEGKIT_ROLE_ADMIN), "admin");
  assert_null(segkit_server_role_name((segkit_server_role)0));
  assert_null(segkit_server_role_name((segkit_server_role)4));
  assert_true(SEGKIT_ROLE_READ < SEGKIT_ROLE_WRITE && SEGKIT_ROLE_WRITE < SEGKIT_ROLE_ADMIN);
}

static void server_key_create_list_revoke(void **state) {
  fixture *f = *state;
  segkit_error err;
  char *key = NULL;
  char *id = NULL;
  assert_int_equal(segkit_server_key_create(f->ws, SEGKIT_ROLE_WRITE, "ci", "test:me", &key, &id,
                                            &err),
                   SEGKIT_OK);
  char *key2 = NULL;
  char *id2 = NULL;
  assert_int_equal(segkit_server_key_create(f->ws, SEGKIT_ROLE_READ, NULL, "test:me", &key2,
                                            &id2, &err),
                   SEGKIT_OK);
  segkit_server_key_list *l = NULL;
  assert_int_equal(segkit_server_keys(f->ws, &l, &err), SEGKIT_OK);
  assert_int_equal(l->n, 2);
  assert_string_equal(l->items[0].id, id);
  assert_string_equal(l->items[0].name, "ci");
  assert_int_equal(l->items[0].role, SEGKIT_ROLE_WRITE);
  assert_int_equal(l->items[0].last_used_at_us, 0);
  assert_int_equal(l->items[0].revoked_at_us, 0);
  assert_true(l->items[0].created_at_us > 0);
  assert_null(l->items[1].name);
  segkit_server_key_list_free(l);

  /* The row holds a hash that verifies the key, and not the key. */
  sqlite3 *db = NULL;
  assert_int_equal(sk__keys_db_open(f->path, &db, &err), SEGKIT_OK);
  sk_key_row row;
  bool found = false;
  assert_int_equal(sk__key_find(db, id, &row, &found, &err), SEGKIT_OK);
  assert_true(found);
  assert_false(row.revoked);
  assert_null(strstr(row.hash, key + 20));
  assert_true(sk__key_verify(row.hash, key));
  assert_false(sk__key_verify(row.hash, key2));
  assert_int_equal(sk__key_find(db, "ffffffffffffffff", &row, &found, &err), SEGKIT_OK);
  assert_false(found);

  assert_int_equal(segkit_server_key_revoke(f->ws, id, "test:me", &err), SEGKIT_OK);
  assert_int_equal(sk__key_find(db, id, &row, &found, &err), SEGKIT_OK);
  assert_true(row.revoked);
  assert_int_equal(segkit_server_key_revoke(f->ws, id, "test:me", &err), SEGKIT_ERR_USAGE);
  assert_int_equal(segkit_server_key_revoke(f->ws, "0000000000000000", "test:me", &err),
                   SEGKIT_ERR_NOT_FOUND);
  sqlite3_close(db);

  /* Audited, newest first: the revoke, then the two creations. */
  segkit_audit_list *audit = NULL;
  assert_int_equal(segkit_workspace_audit(f->ws, 0, &audit, &err), SEGKIT_OK);
  assert_int_equal(audit->n, 3);
  assert_string_equal(audit->items[0].action, "key_revoke");
  assert_string_equal(audit->items[0].target, id);
  assert_string_equal(audit->items[0].actor, "test:me");
  assert_string_equal(audit->items[1].action, "key_create");
  assert_string_equal(audit->items[1].target, id2);
  assert_string_equal(audit->items[2].detail_json, "{\"name\":\"ci\",\"role\":\"write\"}");
  segkit_audit_list_free(audit);
  free(key);
  free(id);
  free(key2);
  free(id2);
}

static void server_auth_bearer_header(void **state) {
  (void)state;
  assert_string_equal(sk__auth_bearer("Bearer abc"), "abc");
  assert_string_equal(sk__auth_bearer("bearer   abc"), "abc");
  assert_string_equal(sk__auth_bearer("BEARER\tabc"), "abc");
  assert_null(sk__auth_bearer("Bearer"));
  assert_null(sk__auth_bearer("Bearer "));
  assert_null(sk__auth_bearer("Bearerabc"));
  assert_null(sk__auth_bearer("Basic abc"));
  assert_null(sk__auth_bearer(NULL));
}

static void server_auth_checks_and_caches(void **state) {
  fixture *f = *state;
  segkit_error err;
  char *key = NULL;
  char *id = NULL;
  assert_int_equal(segkit_server_key_create(f->ws, SEGKIT_ROLE_ADMIN, NULL, NULL, &key, &id,
                                            &err),
                   SEGKIT_OK);
  sk_auth *auth = NULL;
  assert_int_equal(sk__auth_new(&auth, &err), SEGKIT_OK);
  char header[200];
  snprintf(header, sizeof header, "Bearer %s", key);
  sk_principal who;
  memset(&who, 0, sizeof who);
  assert_int_equal(sk__auth_check(auth, f->path, NULL, &who, &err), SK_AUTH_MISSING);
  assert_int_equal(sk__auth_check(auth, f->path, "Token x", &who, &err), SK_AUTH_MISSING);
  assert_int_equal(sk__auth_check(auth, f->path, "Bearer sk_nonsense", &who, &err),
                   SK_AUTH_INVALID);
  for (int i = 0; i < 3; i++) {   /* the first verifies with Argon2, the others hit the cache */
    assert_int_equal(sk__auth_check(auth, f->path, header, &who, &err), SK_AUTH_OK);
    assert_string_equal(who.id, id);
    assert_int_equal(who.role, SEGKIT_ROLE_ADMIN);
  }
  /* Same id, wrong secret: refused although the id is cached. */
  char wrong[200];
  snprintf(wrong, sizeof wrong, "%s", header);
  wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
  assert_int_equal(sk__auth_check(auth, f->path, wrong, &who, &err), SK_AUTH_INVALID);
  /* First use recorded. */
  segkit_server_key_list *l = NULL;
  assert_int_equal(segkit_server_keys(f->ws, &l, &err), SEGKIT_OK);
  assert_true(l->items[0].last_used_at_us >= l->items[0].created_at_us);
  segkit_server_key_list_free(l);
  /* Revoked: refused on the next check, cache or not. */
  assert_int_equal(segkit_server_key_revoke(f->ws, id, NULL, &err), SEGKIT_OK);
  assert_int_equal(sk__auth_check(auth, f->path, header, &who, &err), SK_AUTH_INVALID);
  /* A workspace that cannot be read is an error, not a refusal. */
  assert_int_equal(sk__auth_check(auth, "/nonexistent/dir/ws.db", header, &who, &err),
                   SK_AUTH_ERROR);
  sk__auth_free(auth);
  free(key);
  free(id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(server_key_format_and_split),
      cmocka_unit_test(server_key_hash_verifies_only_the_key),
      cmocka_unit_test(server_key_roles),
      cmocka_unit_test_setup_teardown(server_key_create_list_revoke, setup, teardown),
      cmocka_unit_test(server_auth_bearer_header),
      cmocka_unit_test_setup_teardown(server_auth_checks_and_caches, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
