#pragma once

#include <QByteArray>
#include <QList>

namespace mldeck {

// One Redis reply, copied out of hiredis so that no hiredis type leaks into public headers.
// Error replies never become a RedisValue: RedisConnection turns them into an Error.
struct RedisValue
{
    enum class Type
    {
        Nil,
        Integer,
        String,
        Array,
        StatusReply // a simple-string reply ("OK", "PONG"); "Status" is the Result<void> alias
    };

    Type type = Type::Nil;
    qint64 integer = 0;      // Type::Integer
    QByteArray string;       // Type::String and Type::StatusReply
    QList<RedisValue> array; // Type::Array

    bool isNil() const { return type == Type::Nil; }
    bool isInteger() const { return type == Type::Integer; }
    bool isString() const { return type == Type::String; }
    bool isArray() const { return type == Type::Array; }
    bool isStatus() const { return type == Type::StatusReply; }
};

} // namespace mldeck
