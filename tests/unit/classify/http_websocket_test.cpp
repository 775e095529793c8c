// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/http_message.hpp"
#include "classify/websocket.hpp"
#include "test_util.hpp"

#include <boost/test/unit_test.hpp>

using namespace minewatch;
using namespace minewatch::test;
using classify::Carrier;
using classify::Protocol;

namespace {
const std::string kGetworkRequest = "POST / HTTP/1.1\r\n"
                                    "Host: us1.bitminter.com:3333\r\n"
                                    "Authorization: Basic Qmlnc2t5OjEyMw==\r\n"
                                    "Content-type: application/json\r\n"
                                    "X-Mining-Extensions: longpoll midstate rollntime submitold\r\n"
                                    "X-Mining-Hashrate: 450000000\r\n"
                                    "User-Agent: cgminer/4.10.0\r\n"
                                    "Content-Length: 44\r\n\r\n"
                                    R"({"method": "getwork", "params": [], "id":0})";

/// A WebSocket frame as RFC 6455 section 5.2 lays it out.
ByteVector frame(std::string_view payload, bool masked, std::uint8_t first_byte = 0x81) {
  ByteVector out{first_byte};
  std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out.push_back(static_cast<std::uint8_t>(mask_bit | payload.size()));
  } else {
    out.push_back(static_cast<std::uint8_t>(mask_bit | 126));
    out.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(payload.size() & 0xff));
  }
  const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked)
    out.insert(out.end(), key, key + 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<std::uint8_t>(payload[i] ^ (masked ? key[i % 4] : 0)));
  return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(http)

BOOST_AUTO_TEST_CASE(request_line_headers_and_body) {
  auto m = classify::parseHttp(kGetworkRequest);
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->request);
  BOOST_TEST(m->method == "POST");
  BOOST_TEST(m->target == "/");
  BOOST_TEST(m->headers_complete);
  BOOST_TEST(*m->header("x-mining-extensions") == "longpoll midstate rollntime submitold");
  BOOST_TEST(m->body.substr(0, 10) == R"({"method":)");
}

BOOST_AUTO_TEST_CASE(status_lines_and_non_http) {
  auto m = classify::parseHttp("HTTP/1.0 200 OK\r\nX-Long-Polling: /LP\r\n");
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->status == 200);
  BOOST_TEST(!m->headers_complete);
  BOOST_TEST(!classify::parseHttp("HTTP/1.1 2x0 OK\r\n"));
  BOOST_TEST(!classify::parseHttp("FETCH / HTTP/1.1\r\n"));
  BOOST_TEST(!classify::parseHttp("{\"method\":\"POST / HTTP/1.1\"}"));
  BOOST_TEST(!classify::parseHttp("POST"));
}

BOOST_AUTO_TEST_CASE(getwork_request_is_mining_whole_or_cut) {
  for (std::size_t len : {kGetworkRequest.size(), kSampleBytes, std::size_t{180}}) {
    BOOST_TEST_CONTEXT("cut at " << len) {
      auto facts = classify::classifyPayload(bytesOf(kGetworkRequest.substr(0, len)), toServer());
      BOOST_TEST(facts.protocol == Protocol::GetworkHttp);
      BOOST_TEST(facts.carrier == Carrier::Http);
      BOOST_TEST(facts.mining);
    }
  }
  auto whole = classify::classifyPayload(bytesOf(kGetworkRequest), toServer());
  BOOST_TEST(whole.agent == "cgminer/4.10.0");
  BOOST_TEST((whole.methods == std::vector<std::string>{"getwork"}));
}

BOOST_AUTO_TEST_CASE(a_header_cut_mid_line_is_not_read) {
  auto facts = classifyText("POST / HTTP/1.1\r\nHost: pool\r\nX-Mining-Extensions: longpo");
  BOOST_TEST(!facts.mining);
  BOOST_TEST(facts.truncated);
}

BOOST_AUTO_TEST_CASE(pool_response_headers) {
  auto facts = classifyText("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Long-Polling: /LP\r\n"
                            "X-Roll-NTime: Y\r\n\r\n{\"result\":{\"data\":\"00000001\"},\"error\":null,\"id\":0}",
                            fromServer(8332));
  BOOST_TEST(facts.protocol == Protocol::GetworkHttp);
  BOOST_TEST(facts.mining);
}

BOOST_AUTO_TEST_CASE(ordinary_json_rpc_over_http_is_not_mining) {
  auto facts = classifyText("POST /rpc HTTP/1.1\r\nHost: node:8545\r\nContent-Type: application/json\r\n"
                            "User-Agent: curl/8.0\r\n\r\n"
                            R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":1})",
                            toServer(8545));
  BOOST_TEST(facts.protocol == Protocol::JsonRpc);
  BOOST_TEST(!facts.mining);
  BOOST_TEST(facts.agent == "curl/8.0");
}

BOOST_AUTO_TEST_CASE(miner_headers_belong_to_requests_only) {
  // A response echoing a request header name is no miner.
  auto facts = classifyText("HTTP/1.1 200 OK\r\nX-Mining-Extensions: x\r\n\r\n", fromServer(80));
  BOOST_TEST(!facts.mining);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(websocket)

BOOST_AUTO_TEST_CASE(masked_client_frames_are_unmasked) {
  std::string login = R"({"type":"auth","params":{"site_key":"QFJ2Nz0jWs6hHQlPSbAj5hM12eCIKBBW","type":"anonymous"}})";
  auto bytes = frame(login, true);
  auto ws = classify::readWebSocketFrames(bytes);
  BOOST_TEST_REQUIRE(ws.has_value());
  BOOST_TEST(ws->masked);
  BOOST_TEST(ws->data == login);
  auto facts = classify::classifyPayload(bytes, toServer(443));
  BOOST_TEST(facts.carrier == Carrier::WebSocket);
  BOOST_TEST(facts.protocol == Protocol::MoneroStratum);
  BOOST_TEST(facts.mining);
}

BOOST_AUTO_TEST_CASE(stratum_in_frames_cut_by_the_sample) {
  std::string notify = R"({"id":null,"method":"mining.notify","params":[")" + std::string(300, 'a') + "\"]}";
  auto bytes = frame(notify, false);
  bytes.resize(kSampleBytes);
  auto facts = classify::classifyPayload(bytes, fromServer(8443));
  BOOST_TEST(facts.carrier == Carrier::WebSocket);
  BOOST_TEST(facts.protocol == Protocol::StratumV1);
  BOOST_TEST(facts.truncated);
}

BOOST_AUTO_TEST_CASE(several_frames_and_control_frames) {
  auto bytes = frame("", false, 0x89); // ping
  auto a = frame(R"({"id":1,"method":"mining.subscr)", true, 0x01);
  auto b = frame(R"(ibe","params":[]})", true, 0x80); // continuation, final
  bytes.insert(bytes.end(), a.begin(), a.end());
  bytes.insert(bytes.end(), b.begin(), b.end());
  auto ws = classify::readWebSocketFrames(bytes);
  BOOST_TEST_REQUIRE(ws.has_value());
  BOOST_TEST(ws->frames == 2u);
  BOOST_TEST(classify::classifyPayload(bytes, toServer()).protocol == Protocol::StratumV1);
}

BOOST_AUTO_TEST_CASE(compressed_or_non_json_frames_are_not_guessed) {
  auto deflated = frame(R"({"method":"mining.notify"})", false, 0xc1); // RSV1: permessage-deflate
  BOOST_TEST(classify::readWebSocketFrames(deflated)->compressed);
  BOOST_TEST(!classify::classifyPayload(deflated, fromServer()).mining);
  auto text = frame("hello there", true);
  BOOST_TEST(classify::classifyPayload(text, toServer()).protocol == Protocol::Unknown);
  ByteVector not_a_frame{0xb1, 0x05, 'a', 'b'}; // RSV2/RSV3 set
  BOOST_TEST(!classify::readWebSocketFrames(not_a_frame));
}

BOOST_AUTO_TEST_CASE(upgrade_request_is_noted) {
  auto facts = classifyText("GET /proxy HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  BOOST_TEST(facts.carrier == Carrier::Http);
  BOOST_TEST(facts.detail.find("websocket upgrade") != std::string::npos);
  BOOST_TEST(!facts.mining);
}

BOOST_AUTO_TEST_SUITE_END()
