#pragma once

#include <QByteArray>
#include <QRegularExpression>
#include <QString>

namespace mldeck::test {

// A minimal structural check of a PDF file, without a PDF library: the header, the trailer's
// startxref pointing at a cross-reference table whose in-use entries each point at "N G obj",
// and the page objects. Returns an empty string when the file holds up, else what is wrong.
inline QString checkPdfStructure(const QByteArray &pdf, int *pages)
{
    *pages = 0;
    if (!pdf.startsWith("%PDF-1."))
        return QStringLiteral("no %PDF-1.x header");
    const QByteArray tail = pdf.right(64).trimmed();
    if (!tail.endsWith("%%EOF"))
        return QStringLiteral("does not end with %%EOF");
    const qsizetype sx = pdf.lastIndexOf("startxref");
    if (sx < 0)
        return QStringLiteral("no startxref");
    bool ok = false;
    const qsizetype xrefAt = pdf.mid(sx + 9, 32).trimmed().split('\n').value(0).trimmed().toLongLong(&ok);
    if (!ok || xrefAt <= 0 || xrefAt >= pdf.size())
        return QStringLiteral("startxref offset out of range");
    const QByteArray xref = pdf.mid(xrefAt);
    if (xref.startsWith("xref")) {
        // "xref\n<first> <count>\n" then <count> entries of 20 bytes "oooooooooo ggggg n \n".
        const QList<QByteArray> lines = xref.split('\n');
        const QList<QByteArray> head = lines.value(1).trimmed().split(' ');
        const int first = head.value(0).toInt(), count = head.value(1).toInt();
        if (count < 2)
            return QStringLiteral("empty xref table");
        for (int i = 0; i < count; ++i) {
            const QByteArray entry = lines.value(2 + i).trimmed();
            if (!entry.endsWith(" n"))
                continue;
            const qsizetype offset = entry.left(10).toLongLong(&ok);
            const QByteArray expected =
                QByteArray::number(first + i) + ' ' + QByteArray::number(entry.mid(11, 5).toInt()) + " obj";
            if (!ok || pdf.mid(offset, expected.size()) != expected)
                return QStringLiteral("xref entry %1 does not point at its object").arg(first + i);
        }
        if (!pdf.mid(xrefAt).contains("trailer"))
            return QStringLiteral("no trailer after the xref table");
    } else if (!QRegularExpression(QStringLiteral("^\\d+ \\d+ obj\\s*<<[^>]*/Type\\s*/XRef"))
                    .match(QString::fromLatin1(xref.left(512)))
                    .hasMatch()) {
        return QStringLiteral("startxref points at neither an xref table nor an xref stream");
    }
    const QRegularExpression page(QStringLiteral("/Type\\s*/Page(?![a-zA-Z])"));
    auto it = page.globalMatch(QString::fromLatin1(pdf));
    while (it.hasNext()) {
        it.next();
        ++*pages;
    }
    if (*pages < 1)
        return QStringLiteral("no /Type /Page object");
    return {};
}

} // namespace mldeck::test
