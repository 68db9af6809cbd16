/* gmm.c: placeholder until the method lands (replaced by its owner in this session). */
#include "cluster/cluster_int.h"
segkit_status sk__gmm_fit(const segkit_cluster_data *data, const segkit_cluster_options *opt, segkit_cluster_model **out, segkit_error *err) { (void)data; (void)opt; (void)out; return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "not built yet"); }
segkit_status sk__gmm_assign(const segkit_cluster_model *m, const segkit_cluster_data *data, int32_t *labels, segkit_error *err) { (void)m; (void)data; (void)labels; return segkit_error_set(err, SEGKIT_ERR_INTERNAL, "not built yet"); }
