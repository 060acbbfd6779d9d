#include "harness/peers.h"

namespace rehashlab {

const std::vector<PeerInfo>& peer_list() {
  static const std::vector<PeerInfo> all = {go_runtime_peer(), redis_server_peer()};
  return all;
}

}  // namespace rehashlab
