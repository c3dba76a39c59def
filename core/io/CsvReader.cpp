#include "core/io/CsvReader.h"

#include <QFile>

#include <csv.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

namespace mldeck {

namespace {

bool isBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Feeds libcsv one line at a time: libcsv does not count lines, and a record's line is the line
// where it starts (its quoted fields may span several).
class Parser
{
public:
    Parser(const QString &source, const CsvHandlers &handlers, const std::atomic<bool> *cancel)
        : m_source(source), m_handlers(handlers), m_cancel(cancel)
    {
        csv_init(&m_csv, CSV_STRICT | CSV_STRICT_FINI);
    }
    ~Parser() { csv_free(&m_csv); }
    Parser(const Parser &) = delete;
    Parser &operator=(const Parser &) = delete;

    // Parses the next bytes of the input; false once the reading stopped (an error, or the header read
    // when only the header is wanted).
    bool feed(QByteArrayView bytes)
    {
        if (!m_fed && bytes.startsWith("\xEF\xBB\xBF"))
            bytes = bytes.sliced(3);
        m_fed = true;
        const qsizetype n = bytes.size();
        qsizetype pos = 0;
        while (pos < n && !stopped()) {
            // One line: up to LF, or CR not followed by LF (libcsv ends records at both).
            const char *const data = bytes.data();
            const auto *lf = static_cast<const char *>(memchr(data + pos, '\n', size_t(n - pos)));
            qsizetype end = lf ? lf - data : n;
            for (qsizetype at = pos; at < end;) {
                const auto *cr = static_cast<const char *>(memchr(data + at, '\r', size_t(end - at)));
                if (!cr)
                    break;
                if (cr + 1 != lf) { // a lone CR
                    end = cr - data;
                    break;
                }
                at = cr - data + 1;
            }
            const bool lineBreak = end < n;
            const QByteArrayView line = bytes.sliced(pos, end - pos + (lineBreak ? 1 : 0));
            pos += line.size();
            if (!m_inRecord && std::any_of(line.begin(), line.end(), [](char c) { return !isBlank(c); })) {
                m_inRecord = true;
                m_record.line = m_line;
            }
            const size_t used = csv_parse(&m_csv, line.data(), size_t(line.size()), onField, onRecordEnd, this);
            if (used != size_t(line.size()) && !stopped())
                m_error = libraryError();
            if (lineBreak)
                ++m_line;
        }
        return !stopped();
    }

    // Ends the input: the last record may lack its line break.
    Status finish()
    {
        if (!stopped() && csv_fini(&m_csv, onField, onRecordEnd, this) != 0 && !stopped())
            m_error = failAtRecord(CsvReader::tr("unterminated quote: a field opened with \" is never closed."));
        if (m_error)
            return *m_error;
        if (!m_haveHeader)
            return Error{CsvReader::tr("%1 is empty: the first line must name the columns.").arg(m_source)};
        return {};
    }

    const QStringList &columns() const { return m_header; }
    bool headerOnly = false;

private:
    static void onField(void *data, size_t size, void *self)
    {
        auto *p = static_cast<Parser *>(self);
        if (p->stopped())
            return;
        p->m_fieldBytes.append(static_cast<const char *>(data), size);
        p->m_fieldEnds.push_back(p->m_fieldBytes.size());
    }

    static void onRecordEnd(int, void *self)
    {
        auto *p = static_cast<Parser *>(self);
        if (!p->stopped())
            p->endRecord();
        p->m_fieldBytes.clear();
        p->m_fieldEnds.clear();
        p->m_inRecord = false;
    }

    void endRecord()
    {
        // Views are made once the record is complete: the buffer may move while fields are appended.
        m_record.fields.clear();
        size_t start = 0;
        for (size_t end : m_fieldEnds) {
            m_record.fields.emplace_back(m_fieldBytes.data() + start, qsizetype(end - start));
            start = end;
        }
        Status status = m_haveHeader ? dataRecord() : header();
        if (!status)
            m_error = status.error();
    }

    Status header()
    {
        m_haveHeader = true;
        for (QByteArrayView field : m_record.fields) {
            // A byte order mark (U+FEFF) is never part of a name: QString::fromUtf8 drops it only at the
            // start of a field, so it is removed everywhere for a name to read the same however quoted.
            const QString name = QString::fromUtf8(field).remove(QChar(0xFEFF)).trimmed();
            if (!name.isEmpty() && m_header.contains(name))
                return failAtRecord(CsvReader::tr("the column \"%1\" appears twice.").arg(name));
            m_header << name;
        }
        if (headerOnly) {
            m_headerDone = true;
            return {};
        }
        return m_handlers.header ? m_handlers.header(m_header) : Status{};
    }

    Status dataRecord()
    {
        if (qsizetype(m_record.fields.size()) != m_header.size())
            return failAtRecord(
                CsvReader::tr("%1 fields where the header has %2.").arg(m_record.fields.size()).arg(m_header.size()));
        if (m_cancel && (++m_records & 0xFFFF) == 0 && m_cancel->load(std::memory_order_relaxed))
            return Error{CsvReader::tr("cancelled")};
        return m_handlers.record ? m_handlers.record(m_record) : Status{};
    }

    Error libraryError()
    {
        switch (csv_error(&m_csv)) {
        case CSV_EPARSE:
            return failAtRecord(
                CsvReader::tr("a quote inside an unquoted field, or text after a closing quote (a "
                              "field that holds a quote is quoted and doubles it: \"a \"\"b\"\" c\")."));
        case CSV_ENOMEM:
        case CSV_ETOOBIG:
            return failAtRecord(CsvReader::tr("a field is too large to hold in memory."));
        default:
            return failAtRecord(QString::fromUtf8(csv_strerror(csv_error(&m_csv))));
        }
    }

    Error failAtRecord(const QString &what) const
    {
        return Error{CsvReader::tr("%1, line %2: %3").arg(m_source).arg(m_record.line).arg(what)};
    }

    csv_parser m_csv;
    const QString m_source;
    const CsvHandlers &m_handlers;
    const std::atomic<bool> *m_cancel;
    std::string m_fieldBytes;        // the current record's fields, end to end
    std::vector<size_t> m_fieldEnds; // where each ends in m_fieldBytes
    CsvRecord m_record;
    QStringList m_header;
    bool m_haveHeader = false;
    bool m_inRecord = false;
    qint64 m_line = 1;
    qint64 m_records = 0;
    bool m_headerDone = false;
    bool m_fed = false;
    std::optional<Error> m_error;

    bool stopped() const { return m_error || m_headerDone; }
};

} // namespace

Status CsvReader::parse(QByteArrayView bytes, const QString &source, const CsvHandlers &handlers,
                        const std::atomic<bool> *cancel)
{
    Parser parser(source, handlers, cancel);
    parser.feed(bytes);
    return parser.finish();
}

Status CsvReader::read(const QString &path, const CsvHandlers &handlers, const std::atomic<bool> *cancel)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{tr("Cannot read %1: %2").arg(path, file.errorString())};
    // A mapped file costs no copy; what cannot be mapped (a pipe, an empty file) is read.
    if (const uchar *mapped = file.size() > 0 ? file.map(0, file.size()) : nullptr)
        return parse(QByteArrayView(reinterpret_cast<const char *>(mapped), file.size()), path, handlers, cancel);
    const QByteArray bytes = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return Error{tr("Cannot read %1: %2").arg(path, file.errorString())};
    return parse(bytes, path, handlers, cancel);
}

Result<QStringList> CsvReader::readHeader(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error{tr("Cannot read %1: %2").arg(path, file.errorString())};
    // Line by line until the header record is complete (a quoted name may span lines).
    const CsvHandlers none;
    Parser parser(path, none, nullptr);
    parser.headerOnly = true;
    while (!file.atEnd() && parser.feed(file.readLine())) {
    }
    if (file.error() != QFileDevice::NoError)
        return Error{tr("Cannot read %1: %2").arg(path, file.errorString())};
    const Status status = parser.finish();
    if (!status)
        return status.error();
    return parser.columns();
}

} // namespace mldeck
