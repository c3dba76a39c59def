#include "ui/widgets/ReadSourceLine.h"

#include "ui/Theme.h"

#include <QLocale>

namespace mldeck::ui {

ReadSourceLine::ReadSourceLine(QWidget *parent) : QLabel(parent)
{
    setWordWrap(true);
    hide();
}

void ReadSourceLine::showSource(const ReadSource &source)
{
    if (!source.replicaConfigured) {
        hide();
        return;
    }
    if (source.fellBack())
        setText(tr("Read replica unreachable: reading from the primary (%1; next try in %n s).", nullptr,
                   source.nextRetrySeconds)
                    .arg(source.fallbackReason));
    else if (!source.lagSeconds)
        setText(tr("Read from the standby %1, lag unknown.").arg(source.where));
    else
        setText(tr("Read from the standby %1, lag %2 s.")
                    .arg(source.where, QLocale().toString(*source.lagSeconds, 'f', 1)));
    // Fallen back or stale: the warning colour, so that it is seen next to figures that look normal.
    setStyleSheet(QStringLiteral("color: %1;")
                      .arg(themeCss(source.fellBack() || source.stale() ? Palette::WarnInk : Palette::Muted)));
    show();
}

QString ReadSourceLine::shownText() const
{
    return isHidden() ? QString() : text();
}

} // namespace mldeck::ui
