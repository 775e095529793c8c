// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// JSON messages via nlohmann's SAX parser: it is iterative (no recursion to
// blow up on "[[[[..."), reports the events it could read before an error,
// and hands back the half-read token, which is how a string cut by the
// 256-byte sample limit is kept.
#include "classify/json_scan.hpp"

#include "classify/text_util.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <iterator>

namespace minewatch::classify {

namespace {
constexpr std::size_t kMaxFields = 128;
constexpr std::size_t kMaxDepth = 16;
constexpr std::size_t kMaxValue = 512;
constexpr std::size_t kMaxKey = 64; // keeps paths short: no real member name is longer
constexpr std::size_t kMaxMessages = 32;

using Kind = JsonField::Kind;

/// A char iterator that reports how far the parser read: the parser keeps
/// its own copy, so the position is shared through a pointer.
class TrackingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  TrackingIterator(const char *at, const char **furthest) : at_(at), furthest_(furthest) {}
  reference operator*() const { return *at_; }
  TrackingIterator &operator++() {
    ++at_;
    *furthest_ = at_;
    return *this;
  }
  TrackingIterator operator++(int) {
    auto before = *this;
    ++*this;
    return before;
  }
  bool operator==(const TrackingIterator &other) const { return at_ == other.at_; }

private:
  const char *at_;
  const char **furthest_;
};

/// Records SAX events as path-named fields. Frames deeper than kMaxDepth
/// carry no path, so memory stays linear however deep the input nests.
class Collector final : public nlohmann::json_sax<nlohmann::json> {
public:
  Collector(std::vector<JsonMessage> &out, std::size_t length) : out_(out), length_(length) {}

  bool null() override { return scalar(Kind::Null, "null"); }
  bool boolean(bool v) override { return scalar(Kind::Bool, v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return scalar(Kind::Number, std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(Kind::Number, std::to_string(v)); }
  bool number_float(number_float_t, const string_t &text) override { return scalar(Kind::Number, text); }
  bool string(string_t &v) override { return scalar(Kind::String, v); }
  bool binary(binary_t &) override { return true; } // JSON text never yields one
  bool start_object(std::size_t) override { return open(Kind::Object); }
  bool start_array(std::size_t) override { return open(Kind::Array); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t &k) override {
    frames_.back().key = k.substr(0, kMaxKey);
    frames_.back().awaiting_value = true;
    return true;
  }
  bool parse_error(std::size_t position, const std::string &last_token, const nlohmann::detail::exception &) override {
    // The parser counts the end-of-input it read as a character.
    ran_out_ = position > length_;
    // The half-read token is raw input (it may end inside a UTF-8 sequence,
    // and the parser writes control characters as <U+XXXX>): keep it ASCII.
    if (ran_out_ && !last_token.empty() && last_token.front() == '"' && message_ && expectingValue())
      record(Kind::String, printableAscii(std::string_view(last_token).substr(1)), true);
    finish(false);
    return false;
  }

  [[nodiscard]] bool ranOut() const { return ran_out_; }
  /// A message left open after the parser stopped (non-strict mode stops
  /// after one root value, so this happens only on an error).
  void finish(bool complete) {
    if (!message_)
      return;
    message_->complete = complete;
    message_->malformed = !complete && !ran_out_;
    if (out_.size() < kMaxMessages)
      out_.push_back(std::move(*message_));
    message_.reset();
  }

private:
  struct Frame {
    bool array = false;
    bool message_root = false;
    bool awaiting_value = false;
    std::size_t index = 0;
    std::string path;
    std::string key;
  };

  [[nodiscard]] bool expectingValue() const {
    return !frames_.empty() && (frames_.back().array || frames_.back().awaiting_value);
  }

  // The path the next value in the current container gets.
  [[nodiscard]] std::string childPath() const {
    const Frame &f = frames_.back();
    if (f.array)
      return f.path + "[" + std::to_string(f.index) + "]";
    return f.path.empty() ? f.key : f.path + "." + f.key;
  }

  void consumed() {
    Frame &f = frames_.back();
    if (f.array)
      ++f.index;
    f.awaiting_value = false;
  }

  void record(Kind kind, std::string_view value, bool partial = false) {
    if (!message_ || frames_.size() > kMaxDepth || message_->fields.size() >= kMaxFields)
      return;
    message_->fields.push_back({childPath(), kind, std::string(value.substr(0, kMaxValue)), partial});
  }

  bool scalar(Kind kind, std::string_view value) {
    if (frames_.empty())
      return true; // a bare root scalar: not a message
    record(kind, value);
    consumed();
    return true;
  }

  bool open(Kind kind) {
    bool array = kind == Kind::Array;
    // A root object, or an object directly in a root (batch) array, is a message.
    bool starts_message = !array && !message_ && (frames_.empty() || (frames_.size() == 1 && frames_[0].array));
    if (starts_message) {
      message_.emplace();
      if (!frames_.empty())
        consumed();
      frames_.push_back({false, true, false, 0, {}, {}});
      return true;
    }
    std::string path;
    if (message_ && frames_.size() <= kMaxDepth && message_->fields.size() < kMaxFields) {
      record(kind, {});
      path = childPath();
    }
    if (!frames_.empty())
      consumed();
    frames_.push_back({array, false, false, 0, std::move(path), {}});
    return true;
  }

  bool close() {
    bool root = frames_.back().message_root;
    frames_.pop_back();
    if (root)
      finish(true);
    return true;
  }

  std::vector<JsonMessage> &out_;
  std::size_t length_;
  std::vector<Frame> frames_;
  std::optional<JsonMessage> message_;
  bool ran_out_ = false;
};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::size_t skipSpace(std::string_view text, std::size_t at) {
  while (at < text.size() && isSpace(text[at]))
    ++at;
  return at;
}

std::size_t nextLine(std::string_view text, std::size_t at) {
  auto nl = text.find('\n', at);
  return nl == std::string_view::npos ? text.size() : nl + 1;
}
} // namespace

const JsonField *JsonMessage::find(std::string_view path) const {
  for (const auto &f : fields)
    if (f.path == path)
      return &f;
  return nullptr;
}

std::optional<std::string_view> JsonMessage::string(std::string_view path) const {
  const JsonField *f = find(path);
  if (!f || f->kind != Kind::String)
    return std::nullopt;
  return std::string_view(f->value);
}

std::vector<std::string_view> JsonMessage::stringsUnder(std::string_view path) const {
  std::vector<std::string_view> out;
  for (const auto &f : fields) {
    if (f.kind != Kind::String || f.path.size() < path.size() || f.path.compare(0, path.size(), path) != 0)
      continue;
    if (f.path.size() == path.size() || f.path[path.size()] == '[' || f.path[path.size()] == '.')
      out.push_back(f.value);
  }
  return out;
}

JsonScan scanJson(std::string_view text) {
  JsonScan scan;
  std::size_t at = skipSpace(text, 0);
  while (at < text.size() && scan.messages.size() < kMaxMessages) {
    if (text[at] != '{' && text[at] != '[') {
      at = skipSpace(text, nextLine(text, at));
      continue;
    }
    const char *begin = text.data() + at;
    const char *end = text.data() + text.size();
    const char *furthest = begin;
    Collector collector(scan.messages, text.size() - at);
    bool ok = nlohmann::json::sax_parse(TrackingIterator(begin, &furthest), TrackingIterator(end, &furthest),
                                        &collector, nlohmann::json::input_format_t::json, false);
    if (ok) {
      // Non-strict mode stops right after the root's closing bracket.
      at = skipSpace(text, static_cast<std::size_t>(furthest - text.data()));
      continue;
    }
    if (collector.ranOut()) {
      scan.truncated = true;
      scan.cut_at = at;
      break;
    }
    // Bad syntax: resume on the line after the message's start, where a new
    // message may begin (the parser may have read into it already).
    at = skipSpace(text, nextLine(text, at));
  }
  return scan;
}

} // namespace minewatch::classify
