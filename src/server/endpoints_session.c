/* GET /api/v1/whoami: the key a request was made with and its role.
 *
 * A client (the dashboard) checks a key with it at log-in, where any key passes the read
 * role, and learns the role up front, so it can say before a save is tried that a read key
 * cannot save, rather than after a 403. Only the public id is returned, never the key. */
#include "server/server_int.h"

void sk__get_whoami(const sk_request *req, sk_reply *out) {
  sk__reply_json(out, 200,
                 json_pack("{s:s, s:s}", "key", req->who->id, "role",
                           segkit_server_role_name(req->who->role)));
}
