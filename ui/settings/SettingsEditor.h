#pragma once

#include "core/config/Endpoints.h"
#include "core/store/pg/RolePermissions.h"

#include <QList>
#include <QString>
#include <QVariant>
#include <QVariantMap>
#include <QWidget>

#include <functional>
#include <optional>
#include <utility>

class QLabel;
class QPushButton;

namespace mldeck {
class SettingsService;
template <typename T> class Result;
} // namespace mldeck

namespace mldeck::ui {

class FormGrid;
class InfoBar;

// The one base of every settings editor: a form of fields, each with its validation message next to
// it (in the theme's error colour), Save and Revert, a read-only banner with the reason when the
// connected role may not change the area, and a status line. Save is enabled only when every field
// is valid and something changed; a failed save changes nothing and keeps what the user typed.
//
// A subclass adds its fields in its constructor (one line each), then implements applyEndpoint()
// (point its service at the server), load() and save(), answering with setLoaded()/setLoadFailed()
// and setSaved()/setSaveFailed(). The base reads the role's permissions itself (setEndpoint).
//
// Values are a QVariantMap keyed by field key: integer fields hold qlonglong, real fields double,
// text fields QString, bool fields bool, choice fields the chosen item's data. An empty optional
// number is a null QVariant.
class SettingsEditor : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsEditor)

public:
    using Values = QVariantMap;
    // Empty when the value is acceptable, else the reason shown next to the field.
    using IntCheck = std::function<QString(qint64)>;
    using RealCheck = std::function<QString(double)>;
    using TextCheck = std::function<QString(const QString &)>;
    using Choices = QList<std::pair<QString, QVariant>>; // shown text, value

    ~SettingsEditor() override;

    SettingsArea area() const { return m_area; }
    QString title() const { return m_title; } // the tab's title

    // The server the editor and its permission check use; reloads the current deployment.
    void setEndpoint(const std::optional<PgEndpoint> &pg);
    // Loads the settings of deployment (empty: nothing selected, the form is disabled).
    void setDeployment(const QString &deployment);
    QString deployment() const { return m_deployment; }
    void reload(); // loads the current deployment again (unsaved edits are dropped)

    // What the role may do; normally read from the server by setEndpoint().
    void setPermissions(const RolePermissions &permissions);

    // State, for the tabs and the tests.
    bool isLoaded() const { return m_hasData; } // the form shows the deployment's stored values
    bool isDirty() const;                       // some field differs from what was loaded
    bool isValid() const;                       // every field (and the form as a whole) is acceptable
    bool isReadOnly() const;                    // the role may not change this area (or nothing is loaded)
    QString readOnlyReason() const;
    QString status() const;                         // "Saved.", the last error, or empty
    QString fieldMessage(const QString &key) const; // the field's validation message, empty when valid
    QVariant value(const QString &key) const;       // the field's current value (null when unparsable)
    QWidget *fieldWidget(const QString &key) const; // QLineEdit, QCheckBox or QComboBox (objectName: key)
    Values values() const;                          // every field's current value
    QPushButton *saveButton() const { return m_save; }
    QPushButton *revertButton() const { return m_revert; }

public Q_SLOTS:
    void revert(); // restores the values last loaded or saved

Q_SIGNALS:
    void loaded();                     // the form shows the deployment's stored values
    void saved();                      // a save succeeded; the form's baseline is the saved values
    void failed(const QString &error); // a load or save failed (also shown in the status line)
    void dirtyChanged(bool dirty);

protected:
    SettingsEditor(SettingsArea area, const QString &title, QWidget *parent = nullptr);

    // Fields, in form order. Each returns its input widget (objectName = key) and shows the check's
    // reason next to it while the value is refused. A number that does not parse is refused with a
    // reason of the base's own; optional numbers accept an empty input (value: null QVariant).
    QWidget *addInteger(const QString &key, const QString &label, IntCheck check, const QString &suffix = {},
                        bool optional = false);
    QWidget *addReal(const QString &key, const QString &label, RealCheck check, const QString &suffix = {},
                     bool optional = false);
    QWidget *addText(const QString &key, const QString &label, TextCheck check = {}, const QString &placeholder = {});
    QWidget *addBool(const QString &key, const QString &label);
    QWidget *addChoice(const QString &key, const QString &label, const Choices &choices);
    // Any other widget: read/write convert between it and a value; the widget calls fieldEdited()
    // whenever the user changes it.
    QWidget *addCustom(const QString &key, const QString &label, QWidget *widget, std::function<QVariant()> read,
                       std::function<void(const QVariant &)> write,
                       std::function<QString(const QVariant &)> check = {});
    QWidget *addSection(const QString &title); // a heading between groups of fields; returns it
    // Shows or hides a field's row (the widget an add*() returned) or a heading: settings that do not
    // apply to the deployment shown.
    void setRowVisible(QWidget *fieldOrHeading, bool visible);
    void addNote(const QString &text);                  // a muted sentence under the fields above
    QWidget *addActionButton(QPushButton *button);      // next to Save and Revert (e.g. "Send test")
    void setStatus(const QString &message, bool error); // the status line (e.g. a test delivery's result)

    // A rule over several fields (e.g. a stretch target beyond the target): empty when the values
    // agree, else the reason, shown above the buttons; Save stays disabled meanwhile. Asked only when
    // every field is acceptable (so every value is there).
    virtual QString checkForm(const Values &values) const;

    // The subclass's side.
    virtual void applyEndpoint(const std::optional<PgEndpoint> &pg) = 0;
    // Start reading the deployment's settings; answer with setLoaded() or setLoadFailed().
    virtual void load(const QString &deployment) = 0;
    // Start writing values (all valid, something changed); answer with setSaved() or setSaveFailed().
    virtual void save(const QString &deployment, const Values &values) = 0;

    void setLoaded(const QString &deployment, const Values &values); // ignored when another deployment is selected
    void setLoadFailed(const QString &deployment, const QString &error);
    void setSaved(const Values &values, const QString &message = {}); // message defaults to "Saved."
    void setSaveFailed(const QString &error);

protected Q_SLOTS:
    void fieldEdited(); // revalidates and updates the buttons

private:
    struct Field;
    Field *find(const QString &key) const;
    QWidget *addField(Field *field, const QString &label);
    void writeValues(const Values &values);
    void setBaseline(); // what the form shows now is what is stored
    bool fieldsValid() const;
    void updateState();
    void onPermissions(const mldeck::Result<mldeck::RolePermissions> &permissions);

    SettingsArea m_area;
    QString m_title;
    QString m_deployment;
    QList<Field *> m_fields;
    Values m_baseline;      // what was loaded or last saved
    bool m_hasData = false; // the deployment's values are in the form
    bool m_busy = false;    // a load or a save is under way
    bool m_loading = false; // answers of a load (or a save) no longer awaited are ignored
    bool m_saving = false;
    bool m_wasDirty = false;
    std::optional<RolePermissions> m_permissions;
    QString m_status;
    bool m_statusIsError = false;

    SettingsService *m_roles = nullptr; // reads the permissions
    InfoBar *m_banner = nullptr;        // read-only: the reason
    FormGrid *m_form = nullptr;
    QLabel *m_formMessage = nullptr; // checkForm's reason
    QLabel *m_statusLabel = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_revert = nullptr;
    QWidget *m_buttons = nullptr;
};

} // namespace mldeck::ui
