// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Messages as the miners and pools of shared/signatures.md send them. Long
// hex values are real lengths, so that the 256-byte cut lands where it
// does on the wire.
#include "signature_samples.hpp"

namespace minewatch::test {

namespace {
using classify::Protocol;

const std::string kWallet =
    "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD";
const std::string kHex64 = "5ab3b0a7c0d5e9f3a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";
const std::string kBlob =
    std::string("0e0ee7a6d1a3069a3ec2e0a0b9c4") + kHex64 + kHex64 + "00000000" + kHex64.substr(0, 18);
const std::string kXmrigAgent = "XMRig/6.16.4 (Linux x86_64) libuv/1.42.0 gcc/9.3.0";
const std::string kEthAddress = "0x9c99d212f7e5daa18ab50810e0fd255d1f04303b";
} // namespace

const std::vector<SignatureSample> &miningSamples() {
  static const std::vector<SignatureSample> samples = {
      // Stratum v1, client -> pool
      {"stratum subscribe (cpuminer)",
       R"({"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]})"
       "\n",
       false, Protocol::StratumV1, true, "mining.subscribe", "cpuminer/2.5.1"},
      {"stratum authorize",
       R"({"params":["worker1","x"],"id":2,"method":"mining.authorize"})"
       "\n",
       false, Protocol::StratumV1, true, "mining.authorize", ""},
      {"stratum submit",
       R"({"id":4,"method":"mining.submit","params":["worker1","bf","00000001","504e86ed","b2957c02"]})"
       "\n",
       false, Protocol::StratumV1, true, "mining.submit", ""},
      {"stratum extranonce.subscribe",
       R"({"id":3,"method":"mining.extranonce.subscribe","params":[]})"
       "\n",
       false, Protocol::StratumV1, true, "mining.extranonce.subscribe", ""},
      {"stratum configure (BIP 310)",
       R"({"method":"mining.configure","id":1,"params":[["minimum-difficulty","version-rolling"],{"minimum-difficulty.value":2048,"version-rolling.mask":"00fff000"}]})"
       "\n",
       false, Protocol::StratumV1, true, "mining.configure", ""},
      // Stratum v1, pool -> client
      {"stratum notify",
       R"({"id":null,"method":"mining.notify","params":["bf","4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000","01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008","072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000",[],"00000002","1c2ac4af","504e86b9",false]})"
       "\n",
       true, Protocol::StratumV1, true, "mining.notify", ""},
      // Some pools put "params" first; the method still decides once it is in the sample.
      {"stratum notify, params first",
       R"({"params":["5d2a","4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000","0100000001","00000000",[],"20000000","1c2ac4af","504e86b9",true],"id":null,"method":"mining.notify"})"
       "\n",
       true, Protocol::StratumV1, true, "mining.notify", ""},
      {"stratum set_difficulty",
       R"({"id":null,"method":"mining.set_difficulty","params":[2]})"
       "\n",
       true, Protocol::StratumV1, true, "mining.set_difficulty", ""},
      {"stratum set_target",
       R"({"id":null,"method":"mining.set_target","params":["0004189374bc6a7ef9db22d0e5604189374bc6a7ef9db22d0e5604189374bc6a"]})"
       "\n",
       true, Protocol::StratumV1, true, "mining.set_target", ""},
      {"stratum set_extranonce",
       R"({"id":null,"method":"mining.set_extranonce","params":["08000002",4]})"
       "\n",
       true, Protocol::StratumV1, true, "mining.set_extranonce", ""},
      {"stratum subscribe result",
       R"({"id":1,"result":[[["mining.set_difficulty","b4b6693b72a50c7116db18d6497cac52"],["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f"]],"08000002",4],"error":null})"
       "\n",
       true, Protocol::StratumV1, true, "", ""},
      // Monero stratum (XMRig)
      {"xmrig login",
       R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":")" + kWallet + R"(","pass":"x","agent":")" +
           kXmrigAgent +
           R"(","rigid":"","algo":["cn/1","cn/2","cn/r","cn/fast","cn/half","cn/xao","cn/rto","rx/0","rx/wow","rx/arq","argon2/chukwa","ghostrider"]}})"
           "\n",
       false, Protocol::MoneroStratum, true, "login", kXmrigAgent},
      {"xmrig login, pool user name",
       R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"worker.rig7","pass":"x","agent":")" +
           kXmrigAgent +
           R"(","algo":["rx/0"]}})"
           "\n",
       false, Protocol::MoneroStratum, true, "login", kXmrigAgent},
      {"xmrig login, agent cut by the sample",
       R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":")" + kWallet + "+" + kHex64 +
           R"(","pass":"x","agent":")" + kXmrigAgent +
           R"(","rigid":"","algo":["rx/0"]}})"
           "\n",
       false, Protocol::MoneroStratum, true, "login", "XMRig/6.16"},
      {"xmrig job",
       R"({"jsonrpc":"2.0","method":"job","params":{"blob":")" + kBlob +
           R"(","job_id":"q6XmUr6MZ2ATjBPJ5T1ggDHfMqSq","target":"b88d0600","algo":"rx/0","height":2494271,"seed_hash":")" +
           kHex64 +
           R"("}})"
           "\n",
       true, Protocol::MoneroStratum, true, "job", ""},
      {"xmrig login result with job",
       R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"a3dc59c5-8d2b-4b7c-a2e5-ef4b0a6f0e61","job":{"blob":")" +
           kBlob +
           R"(","job_id":"8xM2","target":"b88d0600","algo":"rx/0"},"extensions":["algo","keepalive"],"status":"OK"}})"
           "\n",
       true, Protocol::MoneroStratum, true, "", ""},
      {"xmrig submit",
       R"({"id":2,"jsonrpc":"2.0","method":"submit","params":{"id":"a3dc59c5-8d2b-4b7c-a2e5-ef4b0a6f0e61","job_id":"8xM2","nonce":"5e0b0000","result":")" +
           kHex64 +
           R"(","algo":"rx/0"}})"
           "\n",
       false, Protocol::MoneroStratum, true, "submit", ""},
      {"xmrig keepalived",
       R"({"id":3,"jsonrpc":"2.0","method":"keepalived","params":{"id":"a3dc59c5-8d2b-4b7c-a2e5-ef4b0a6f0e61"}})"
       "\n",
       false, Protocol::MoneroStratum, true, "keepalived", ""},
      {"keepalived reply",
       R"({"id":3,"jsonrpc":"2.0","error":null,"result":{"status":"KEEPALIVED"}})"
       "\n",
       true, Protocol::MoneroStratum, true, "", ""},
      {"coinhive job over a proxy",
       R"({"type":"job","params":{"job_id":"Vf2WWt","blob":")" + kBlob + R"(","target":"711b0d00"}})", true,
       Protocol::MoneroStratum, true, "job", ""},
      {"coinhive auth",
       R"({"type":"auth","params":{"site_key":"QFJ2Nz0jWs6hHQlPSbAj5hM12eCIKBBW","type":"anonymous","user":null,"goal":0}})",
       false, Protocol::MoneroStratum, true, "auth", ""},
      // ETH proxy
      {"eth_submitLogin",
       R"({"id":1,"method":"eth_submitLogin","worker":"rig1","params":[")" + kEthAddress +
           R"("]})"
           "\n",
       false, Protocol::EthProxy, true, "eth_submitLogin", ""},
      {"eth_getWork",
       R"({"id":2,"method":"eth_getWork","params":[]})"
       "\n",
       false, Protocol::EthProxy, true, "eth_getWork", ""},
      {"eth_submitWork",
       R"({"id":3,"method":"eth_submitWork","params":["0x00017b1001c34562","0x)" + kHex64 + R"(","0x)" + kHex64 +
           R"("]})"
           "\n",
       false, Protocol::EthProxy, true, "eth_submitWork", ""},
      {"eth_submitHashrate",
       R"({"id":6,"jsonrpc":"2.0","method":"eth_submitHashrate","params":["0x1d08a61","0x)" + kHex64 +
           R"("]})"
           "\n",
       false, Protocol::EthProxy, true, "eth_submitHashrate", ""},
      {"eth_getWork result",
       R"({"id":2,"jsonrpc":"2.0","result":["0x)" + kHex64 + R"(","0x)" + kHex64 + R"(","0x00000000)" +
           kHex64.substr(8) +
           R"("]})"
           "\n",
       true, Protocol::EthProxy, true, "", ""},
      // EthereumStratum
      {"EthereumStratum/1.0.0 subscribe",
       R"({"id":1,"method":"mining.subscribe","params":["ethminer/0.18.0","EthereumStratum/1.0.0"]})"
       "\n",
       false, Protocol::EthereumStratum, true, "mining.subscribe", "ethminer/0.18.0"},
      {"EthereumStratum/1.0.0 subscribe result",
       R"({"id":1,"result":[["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f","EthereumStratum/1.0.0"],"080c"],"error":null})"
       "\n",
       true, Protocol::EthereumStratum, true, "", ""},
      {"EthereumStratum/2.0.0 hello",
       R"({"id":0,"method":"mining.hello","params":{"agent":"ethminer-0.18.0","host":"eu1.ethermine.org","port":"4444","proto":"EthereumStratum/2.0.0"}})"
       "\n",
       false, Protocol::EthereumStratum, true, "mining.hello", "ethminer-0.18.0"},
      // getwork / GBT bodies (the HTTP headers often come in an earlier packet)
      {"getwork body",
       R"({"method":"getwork","params":[],"id":0})"
       "\n",
       false, Protocol::GetworkHttp, true, "getwork", ""},
      {"getblocktemplate request",
       R"({"id":0,"method":"getblocktemplate","params":[{"capabilities":["coinbasetxn","workid","longpoll","coinbase/append"],"maxversion":4}]})",
       false, Protocol::GetworkHttp, true, "getblocktemplate", ""},
      {"submitblock", R"({"id":1,"method":"submitblock","params":["00000020)" + kHex64 + kHex64 + R"("]})", false,
       Protocol::GetworkHttp, true, "submitblock", ""},
  };
  return samples;
}

const std::vector<SignatureSample> &benignSamples() {
  static const std::vector<SignatureSample> samples = {
      {"getBalance",
       R"({"jsonrpc":"2.0","method":"getBalance","params":[")" + kEthAddress +
           R"("],"id":1})"
           "\n",
       false, Protocol::JsonRpc, false, "getBalance", ""},
      {"eth_blockNumber",
       R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":83})"
       "\n",
       false, Protocol::JsonRpc, false, "eth_blockNumber", ""},
      {"eth_blockNumber result",
       R"({"id":83,"jsonrpc":"2.0","result":"0x4b7"})"
       "\n",
       true, Protocol::JsonRpc, false, "", ""},
      {"eth_getBlockByNumber result",
       R"({"jsonrpc":"2.0","id":1,"result":{"hash":"0x)" + kHex64 + R"(","parentHash":"0x)" + kHex64 +
           R"(","nonce":"0x0000000000000042"}})",
       true, Protocol::JsonRpc, false, "", ""},
      {"LSP initialize",
       "Content-Length: 118\r\n\r\n"
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":1234,"rootUri":"file:///home/u/p","capabilities":{}}})",
       false, Protocol::JsonRpc, false, "initialize", ""},
      {"LSP didOpen",
       R"({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.cpp","languageId":"cpp","version":1,"text":"int main(){}"}}})",
       false, Protocol::JsonRpc, false, "textDocument/didOpen", ""},
      {"generic login", R"({"jsonrpc":"2.0","method":"login","params":{"login":"alice","password":"secret"},"id":1})",
       false, Protocol::JsonRpc, false, "login", ""},
      {"generic submit", R"({"jsonrpc":"2.0","method":"submit","params":{"form":"contact","text":"hi"},"id":7})", false,
       Protocol::JsonRpc, false, "submit", ""},
      {"generic job", R"({"jsonrpc":"2.0","method":"job","params":{"name":"backup","state":"done"}})", true,
       Protocol::JsonRpc, false, "job", ""},
      {"mining words in params only",
       R"({"jsonrpc":"2.0","method":"log","params":["mining.subscribe eth_getWork keepalived","EthereumStratum/1.0.0"],"id":9})",
       false, Protocol::JsonRpc, false, "log", ""},
      {"status OK alone",
       R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"status":"OK"}})"
       "\n",
       true, Protocol::JsonRpc, false, "", ""},
      {"bare getblocktemplate", R"({"jsonrpc":"1.0","id":"curl","method":"getblocktemplate","params":[]})", false,
       Protocol::JsonRpc, false, "getblocktemplate", ""},
      {"bitcoind getblockchaininfo", R"({"jsonrpc":"1.0","id":"curl","method":"getblockchaininfo","params":[]})", false,
       Protocol::JsonRpc, false, "getblockchaininfo", ""},
      {"plain JSON document", R"({"name":"minewatch","values":[1,2,3],"nested":{"method":"not at the top"}})", false,
       Protocol::Unknown, false, "", ""},
  };
  return samples;
}

std::string spaced(std::string_view compact) {
  std::string out;
  bool in_string = false, escaped = false;
  for (char c : compact) {
    out += c;
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ':' || c == ',') {
      out += ' ';
    }
  }
  return out;
}

} // namespace minewatch::test
