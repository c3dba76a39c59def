#include "ui/pages/audit/AuditDetail.h"

#include "core/audit/AuditDiff.h"
#include "core/rollout/AuditRecord.h"
#include "ui/Theme.h"

#include <QLabel>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

QString when(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

// A diff line in the colour of its kind: changed in ink, added in green, removed in red.
QString lineHtml(const AuditDiffLine &line)
{
    const Palette colour = line.kind == AuditDiffLine::Kind::Added     ? Palette::Good
                           : line.kind == AuditDiffLine::Kind::Removed ? Palette::Bad
                                                                       : Palette::Ink;
    return QStringLiteral("<div style='color:%1'>%2</div>").arg(themeCss(colour), line.text().toHtmlEscaped());
}

} // namespace

AuditDetail::AuditDetail(QWidget *parent) : QWidget(parent)
{
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("auditSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_diff = new QTextBrowser(this);
    m_diff->setObjectName(QStringLiteral("auditDiff"));
    m_open = new QPushButton(this);
    m_open->setObjectName(QStringLiteral("auditOpenLink"));
    m_open->setSizePolicy(QSizePolicy::Minimum, QSizePolicy::Fixed); // never narrower than its text
    connect(m_open, &QPushButton::clicked, this, [this] { Q_EMIT openRequested(m_link); });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addWidget(new QLabel(tr("<b>Before → after</b>"), this));
    layout->addWidget(m_diff, 1);
    layout->addWidget(m_open, 0, Qt::AlignLeft);
    clear();
}

void AuditDetail::clear()
{
    m_link = {};
    m_summary->setText(tr("Select a change to see it in full."));
    m_diff->clear();
    m_open->hide();
}

void AuditDetail::showEntry(const AuditEntry &e)
{
    QStringList facts;
    facts << tr("<b>%1</b> on %2")
                 .arg(e.action.toHtmlEscaped(),
                      e.deployment.isEmpty() ? tr("no deployment") : e.deployment.toHtmlEscaped());
    facts << tr("By %1 (database role %2%3) at %4")
                 .arg(e.actor().toHtmlEscaped(), e.actorDb.toHtmlEscaped(),
                      e.host.isEmpty() ? QString() : tr(", host %1").arg(e.host.toHtmlEscaped()), when(e.at));
    if (e.spooled && e.occurredAt.isValid())
        facts << tr("Made at %1 while PostgreSQL was unreachable; written when it came back.").arg(when(e.occurredAt));
    facts << (e.reason.isEmpty() ? tr("No reason given.") : tr("Reason: %1").arg(e.reason.toHtmlEscaped()));
    facts << (e.chainSeq > 0 ? tr("Row %1, number %2 in its chain.").arg(e.id).arg(e.chainSeq)
                             : tr("Row %1.").arg(e.id));
    m_summary->setText(facts.join(QStringLiteral("<br>")));

    const QList<AuditDiffLine> lines = AuditDiff::lines(e);
    if (lines.isEmpty()) {
        m_diff->setHtml(QStringLiteral("<i>%1</i>").arg(tr("No before or after values were recorded.")));
    } else {
        QString html;
        for (const AuditDiffLine &line : lines)
            html += lineHtml(line);
        m_diff->setHtml(html);
    }

    m_link = AuditLink::of(e);
    m_open->setText(m_link.label());
    m_open->setVisible(m_link.target != AuditLink::Target::None);
}

QString AuditDetail::diffText() const
{
    return m_diff->toPlainText();
}

} // namespace mldeck::ui
