// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

// Message sequences of real mining flows in the public captures, as
//   tools/message_sequences.py tests/data/pcaps/CAPTURE --cpp FLOW
// prints them (first 64 messages, 1000 ms gap rule). Plaintext Stratum:
// no TLS bytes on the sizes, no TLS handshake for the RTT.

#include "detect/message_sequence.hpp"

namespace minewatch::test::captured {

using detect::MessageSequence;
constexpr auto Up = detect::Message::Direction::ToServer;
constexpr auto Down = detect::Message::Direction::ToClient;

/// xmr-stak mining Monero (submit 183 B, result 63 B, job 253 B).
inline const MessageSequence kXmrStakMonero =
    // ndpi_mining.pcapng 192.168.2.92:55190-178.32.196.217:9050; {direction, bytes, gap_ms, tls_type, tls_length}
    MessageSequence{
        {Up, 260, 0, 0, 0},       {Down, 303, 83, 0, 0},    {Up, 183, 12149, 0, 0}, {Down, 63, 111, 0, 0},
        {Up, 183, 2618, 0, 0},    {Down, 63, 113, 0, 0},    {Up, 183, 6931, 0, 0},  {Down, 63, 112, 0, 0},
        {Down, 253, 7848, 0, 0},  {Up, 732, 48786, 0, 0},   {Down, 63, 210, 0, 0},  {Down, 253, 4833, 0, 0},
        {Up, 183, 8034, 0, 0},    {Down, 63, 123, 0, 0},    {Up, 183, 1076, 0, 0},  {Down, 63, 113, 0, 0},
        {Up, 183, 39144, 0, 0},   {Down, 63, 115, 0, 0},    {Up, 183, 2545, 0, 0},  {Down, 63, 83, 0, 0},
        {Down, 253, 17275, 0, 0}, {Up, 183, 53677, 0, 0},   {Down, 63, 126, 0, 0},  {Up, 183, 12493, 0, 0},
        {Down, 63, 84, 0, 0},     {Up, 183, 16722, 0, 0},   {Down, 63, 116, 0, 0},  {Up, 183, 64740, 0, 0},
        {Down, 63, 122, 0, 0},    {Up, 183, 49590, 0, 0},   {Down, 63, 115, 0, 0},  {Up, 183, 13019, 0, 0},
        {Down, 63, 114, 0, 0},    {Up, 183, 9891, 0, 0},    {Down, 63, 84, 0, 0},   {Up, 183, 97622, 0, 0},
        {Down, 63, 117, 0, 0},    {Down, 253, 22196, 0, 0}, {Up, 183, 59142, 0, 0}, {Down, 63, 84, 0, 0},
        {Down, 253, 7923, 0, 0},  {Up, 183, 14433, 0, 0},   {Down, 63, 117, 0, 0},  {Down, 253, 80992, 0, 0},
        {Up, 183, 71515, 0, 0},   {Down, 63, 83, 0, 0},     {Up, 183, 42353, 0, 0}, {Down, 63, 115, 0, 0},
        {Up, 183, 4996, 0, 0},    {Down, 63, 83, 0, 0},     {Up, 183, 26022, 0, 0}, {Down, 63, 84, 0, 0},
        {Down, 253, 65325, 0, 0}, {Down, 253, 33606, 0, 0}, {Up, 183, 1081, 0, 0},  {Down, 63, 110, 0, 0},
        {Down, 253, 39768, 0, 0}, {Up, 183, 6674, 0, 0},    {Down, 63, 84, 0, 0},   {Up, 183, 15208, 0, 0},
        {Down, 63, 124, 0, 0},    {Up, 183, 20973, 0, 0},   {Down, 63, 111, 0, 0},  {Up, 183, 6688, 0, 0},
    };

/// An ETH proxy miner to NiceHash (eth_submitWork 261 B answered by 40 B,
/// work pushed as 244 B).
inline const MessageSequence kNiceHashEthProxy =
    // nicehash_dwarf_s.pcapng 192.168.1.128:3911-87.98.182.61:8008; {direction, bytes, gap_ms, tls_type, tls_length}
    MessageSequence{
        {Up, 146, 0, 0, 0},       {Down, 39, 25, 0, 0},    {Up, 44, 81, 0, 0},       {Down, 244, 25, 0, 0},
        {Down, 244, 9814, 0, 0},  {Down, 244, 3043, 0, 0}, {Down, 244, 34808, 0, 0}, {Down, 244, 14545, 0, 0},
        {Down, 244, 7701, 0, 0},  {Down, 244, 4019, 0, 0}, {Down, 244, 1162, 0, 0},  {Up, 261, 11210, 0, 0},
        {Down, 40, 29, 0, 0},     {Down, 244, 1480, 0, 0}, {Down, 244, 42714, 0, 0}, {Down, 244, 5246, 0, 0},
        {Down, 244, 35644, 0, 0}, {Down, 244, 3177, 0, 0}, {Down, 244, 6627, 0, 0},  {Down, 244, 30100, 0, 0},
        {Up, 261, 243309, 0, 0},  {Down, 40, 25, 0, 0},    {Down, 244, 4567, 0, 0},  {Down, 244, 69980, 0, 0},
        {Up, 261, 9210, 0, 0},    {Down, 40, 25, 0, 0},    {Down, 244, 19940, 0, 0}, {Down, 244, 14501, 0, 0},
        {Down, 244, 8005, 0, 0},  {Down, 244, 1480, 0, 0}, {Down, 244, 1838, 0, 0},  {Down, 244, 3662, 0, 0},
        {Up, 261, 70699, 0, 0},   {Down, 40, 25, 0, 0},    {Down, 244, 12994, 0, 0}, {Down, 244, 8710, 0, 0},
    };

/// bfgminer, Bitcoin Stratum: it answers every mining.notify with
/// mining.get_transactions, so the pool's jobs do not go unanswered.
inline const MessageSequence kBfgminerBitcoin =
    // bitcoin-mining.pcap 10.0.2.15:53310-74.84.128.158:3333; {direction, bytes, gap_ms, tls_type, tls_length}
    MessageSequence{
        {Up, 75, 0, 0, 0},         {Down, 1448, 36, 0, 0},    {Up, 77, 0, 0, 0},         {Down, 58, 0, 0, 0},
        {Up, 84, 0, 0, 0},         {Down, 98, 35, 0, 0},      {Down, 1307, 9543, 0, 0},  {Up, 82, 0, 0, 0},
        {Down, 97, 37, 0, 0},      {Down, 1307, 31090, 0, 0}, {Up, 82, 0, 0, 0},         {Down, 97, 36, 0, 0},
        {Down, 1307, 30888, 0, 0}, {Up, 82, 0, 0, 0},         {Down, 97, 36, 0, 0},      {Down, 1307, 30990, 0, 0},
        {Up, 82, 0, 0, 0},         {Down, 97, 39, 0, 0},      {Down, 1363, 30987, 0, 0}, {Up, 82, 0, 0, 0},
        {Down, 97, 37, 0, 0},      {Down, 1307, 30979, 0, 0}, {Up, 82, 0, 0, 0},         {Down, 97, 33, 0, 0},
        {Down, 1307, 31106, 0, 0}, {Up, 82, 0, 0, 0},         {Down, 97, 36, 0, 0},
    };

} // namespace minewatch::test::captured
