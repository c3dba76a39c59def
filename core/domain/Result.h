#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace mldeck {

// An error a user can read. Adapters catch library exceptions and return one of these.
struct Error
{
    enum class Kind
    {
        Failed,   // something went wrong: the message says what
        Cancelled // the user asked to stop: not a failure to report as one
    };

    QString message;
    Kind kind = Kind::Failed;

    static Error cancelled(QString why) { return Error{std::move(why), Kind::Cancelled}; }
    bool isCancelled() const { return kind == Kind::Cancelled; }
};

// Either a value or an Error: the typed result every adapter and service returns.
template <typename T> class [[nodiscard]] Result
{
public:
    Result(T value) : m_data(std::move(value)) {}
    Result(Error error) : m_data(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_data); }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<T>(m_data); }
    T &value() & { return std::get<T>(m_data); }
    T &&value() && { return std::get<T>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    const T *operator->() const { return &value(); }
    const Error &error() const { return std::get<Error>(m_data); }
    QString errorMessage() const { return ok() ? QString() : error().message; }

private:
    std::variant<T, Error> m_data;
};

template <> class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error &error() const { return m_error; }
    QString errorMessage() const { return m_error.message; }

private:
    Error m_error;
    bool m_ok = true;
};

using Status = Result<void>;

} // namespace mldeck
