// CodeText: an action's code (source text, or base64 of a shared object) held once and shared by every
// copy of the ActionRecord that carries it — the store's action cache, each invocation request, an
// invoker's code cache keyed by revision, the pool — so an invoke copies a reference count, never the
// bytes (a 15 KB native no-op is 21 KB of base64, copied twice per invoke before). Immutable: assigning
// replaces the shared buffer and never writes through it, so a copy never sees another's change. Reads
// go through str() (or the implicit conversion to const std::string&); empty when none was given.
// Thread-safe as std::shared_ptr<const std::string> is: copies may be made and read on any threads.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace hearth::net {

class CodeText {
 public:
  CodeText() = default;
  CodeText(std::string text) : text_(std::make_shared<const std::string>(std::move(text))) {}  // NOLINT: implicit
  CodeText(const char* text) : CodeText(std::string(text)) {}                                // NOLINT: implicit

  const std::string& str() const { return text_ ? *text_ : none(); }
  operator const std::string&() const { return str(); }  // NOLINT: implicit, reads like the string it was
  std::string_view view() const { return str(); }
  std::size_t size() const { return str().size(); }
  bool empty() const { return str().empty(); }
  // Whether two copies share one buffer (what the invoke path relies on; tests check it).
  bool shares_buffer_with(const CodeText& other) const { return text_ && text_ == other.text_; }

  friend bool operator==(const CodeText& a, const CodeText& b) { return a.text_ == b.text_ || a.str() == b.str(); }
  friend bool operator==(const CodeText& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const CodeText& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& out, const CodeText& c) { return out << c.str(); }

 private:
  static const std::string& none() {
    static const std::string nothing;
    return nothing;
  }
  std::shared_ptr<const std::string> text_;
};

}  // namespace hearth::net
