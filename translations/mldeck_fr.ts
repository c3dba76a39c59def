<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>KpiReportPdf</name>
    <message>
        <source>Only the first %1 alerts are listed; the CSV export has the same limit.</source>
        <translation>Seules les %1 premières alertes sont listées ; l’export CSV a la même limite.</translation>
    </message>
    <message>
        <source>Alerts of the period</source>
        <translation>Alertes de la période</translation>
    </message>
    <message>
        <source>Raised (UTC)</source>
        <translation>Levée (UTC)</translation>
    </message>
    <message>
        <source>Resolved (UTC)</source>
        <translation>Résolue (UTC)</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>Gravité</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Titre</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>No alert was active during this period.</source>
        <translation>Aucune alerte n’a été active pendant cette période.</translation>
    </message>
    <message>
        <source>Only the first %1 changes are listed; the CSV export has the same limit.</source>
        <translation>Seuls les %1 premiers changements sont listés ; l’export CSV a la même limite.</translation>
    </message>
    <message>
        <source>Changes of the period</source>
        <translation>Changements de la période</translation>
    </message>
    <message>
        <source>Time (UTC)</source>
        <translation>Heure (UTC)</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Qui</translation>
    </message>
    <message>
        <source>What</source>
        <translation>Quoi</translation>
    </message>
    <message>
        <source>No change was made during this period.</source>
        <translation>Aucun changement n’a été fait pendant cette période.</translation>
    </message>
    <message>
        <source>MLDeck KPI report · %1 · generated %2 UTC</source>
        <translation>Rapport d’indicateurs MLDeck · %1 · généré le %2 UTC</translation>
    </message>
    <message>
        <source>KPI report: %1</source>
        <translation>Rapport d’indicateurs : %1</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>Semaine</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>Jour</translation>
    </message>
    <message>
        <source>%1 from %2 to %3 (UTC)</source>
        <translation>%1 du %2 au %3 (UTC)</translation>
    </message>
    <message numerus="yes">
        <source>%n alert(s)</source>
        <translation>
            <numerusform>%n alerte</numerusform>
            <numerusform>%n alertes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n change(s)</source>
        <translation>
            <numerusform>%n changement</numerusform>
            <numerusform>%n changements</numerusform>
        </translation>
    </message>
    <message>
        <source>charts in buckets of %1 min</source>
        <translation>graphiques par intervalles de %1 min</translation>
    </message>
    <message>
        <source>≤ %1 ms</source>
        <translation>≤ %1 ms</translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation>Prédictions</translation>
    </message>
    <message>
        <source>Throughput (per s)</source>
        <translation>Débit (par s)</translation>
    </message>
    <message>
        <source>MAE (min)</source>
        <translation>MAE (min)</translation>
    </message>
    <message>
        <source>≤ %1 (stretch %2)</source>
        <translation>≤ %1 (ambitieux %2)</translation>
    </message>
    <message>
        <source>RMSE (min)</source>
        <translation>RMSE (min)</translation>
    </message>
    <message>
        <source>R²</source>
        <translation>R²</translation>
    </message>
    <message>
        <source>≥ %1 (stretch %2)</source>
        <translation>≥ %1 (ambitieux %2)</translation>
    </message>
    <message>
        <source>MAPE</source>
        <translation>MAPE</translation>
    </message>
    <message>
        <source>Latency p50 (ms)</source>
        <translation>Latence p50 (ms)</translation>
    </message>
    <message>
        <source>Latency p95 (ms)</source>
        <translation>Latence p95 (ms)</translation>
    </message>
    <message>
        <source>Latency p99 (ms)</source>
        <translation>Latence p99 (ms)</translation>
    </message>
    <message>
        <source>Failure rate</source>
        <translation>Taux d’échec</translation>
    </message>
    <message>
        <source>≤ %1 %</source>
        <translation>≤ %1 %</translation>
    </message>
    <message>
        <source>Fallback share</source>
        <translation>Part de repli</translation>
    </message>
    <message>
        <source>Delays anticipated (≥ %1 min)</source>
        <translation>Retards anticipés (≥ %1 min)</translation>
    </message>
    <message>
        <source>Feedback satisfaction</source>
        <translation>Satisfaction des retours</translation>
    </message>
    <message>
        <source>ML uptime</source>
        <translation>Disponibilité du ML</translation>
    </message>
    <message>
        <source>≥ %1 %</source>
        <translation>≥ %1 %</translation>
    </message>
    <message>
        <source>ML vs heuristic</source>
        <translation>ML face à l’heuristique</translation>
    </message>
    <message>
        <source>Figure</source>
        <translation>Indicateur</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Tout</translation>
    </message>
    <message>
        <source>ML</source>
        <translation>ML</translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation>Heuristique</translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation>Repli</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Objectif</translation>
    </message>
    <message>
        <source>Summary per path</source>
        <translation>Synthèse par voie</translation>
    </message>
    <message>
        <source>(none: heuristic)</source>
        <translation>(aucune : heuristique)</translation>
    </message>
    <message>
        <source>Per model version</source>
        <translation>Par version de modèle</translation>
    </message>
    <message>
        <source>Model version</source>
        <translation>Version du modèle</translation>
    </message>
    <message>
        <source>No prediction in this period.</source>
        <translation>Aucune prédiction sur cette période.</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>Graphiques</translation>
    </message>
    <message>
        <source>Grey ticks mark the changes listed at the end (flag changes, rollbacks, promotions).</source>
        <translation>Les repères gris marquent les changements listés à la fin (changements de drapeaux, retours arrière, promotions).</translation>
    </message>
    <message>
        <source>No data in this period</source>
        <translation>Aucune donnée sur cette période</translation>
    </message>
    <message>
        <source>All paths</source>
        <translation>Toutes les voies</translation>
    </message>
    <message>
        <source>MAE (min): ML vs heuristic</source>
        <translation>MAE (min) : ML face à l’heuristique</translation>
    </message>
    <message>
        <source>target</source>
        <translation>objectif</translation>
    </message>
    <message>
        <source>R²: ML vs heuristic</source>
        <translation>R² : ML face à l’heuristique</translation>
    </message>
    <message>
        <source>Latency (ms), all paths</source>
        <translation>Latence (ms), toutes voies</translation>
    </message>
    <message>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <source>p99</source>
        <translation>p99</translation>
    </message>
    <message>
        <source>Error rate (%)</source>
        <translation>Taux d’erreur (%)</translation>
    </message>
    <message>
        <source>Throughput (predictions per second)</source>
        <translation>Débit (prédictions par seconde)</translation>
    </message>
    <message>
        <source>Green meets the deployment&apos;s target, red misses it; “%1”: no traffic, outcomes or feedback yet.</source>
        <translation>Vert : la cible du déploiement est atteinte, rouge : elle est manquée ; « %1 » : pas encore de trafic, de résultats ou de retours.</translation>
    </message>
    <message>
        <source>With a label</source>
        <translation>Avec étiquette</translation>
    </message>
    <message>
        <source>Label coverage</source>
        <translation>Couverture des étiquettes</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitude</translation>
    </message>
    <message>
        <source>≥ %1 % (stretch %2 %)</source>
        <translation>≥ %1 % (ambitieux %2 %)</translation>
    </message>
    <message>
        <source>Balanced accuracy</source>
        <translation>Exactitude équilibrée</translation>
    </message>
    <message>
        <source>Precision (%1)</source>
        <translation>Précision (%1)</translation>
    </message>
    <message>
        <source>Precision (macro)</source>
        <translation>Précision (macro)</translation>
    </message>
    <message>
        <source>Recall (%1)</source>
        <translation>Rappel (%1)</translation>
    </message>
    <message>
        <source>Recall (macro)</source>
        <translation>Rappel (macro)</translation>
    </message>
    <message>
        <source>F1 (%1)</source>
        <translation>F1 (%1)</translation>
    </message>
    <message>
        <source>F1 (macro)</source>
        <translation>F1 (macro)</translation>
    </message>
    <message>
        <source>≥ %1</source>
        <translation>≥ %1</translation>
    </message>
    <message>
        <source>ROC AUC</source>
        <translation>ROC AUC</translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation>Log-loss</translation>
    </message>
    <message>
        <source>≤ %1</source>
        <translation>≤ %1</translation>
    </message>
    <message>
        <source>Brier score</source>
        <translation>Score de Brier</translation>
    </message>
    <message>
        <source>Calibration error (ECE)</source>
        <translation>Erreur de calibration (ECE)</translation>
    </message>
    <message>
        <source>Mean confidence</source>
        <translation>Confiance moyenne</translation>
    </message>
    <message>
        <source>Served as %1</source>
        <translation>Servi comme %1</translation>
    </message>
    <message>
        <source>Estimated accuracy</source>
        <translation>Exactitude estimée</translation>
    </message>
    <message>
        <source>Estimated precision</source>
        <translation>Précision estimée</translation>
    </message>
    <message>
        <source>Estimated recall</source>
        <translation>Rappel estimé</translation>
    </message>
    <message>
        <source>Estimated F1</source>
        <translation>F1 estimé</translation>
    </message>
    <message>
        <source>ML vs heuristic (accuracy points)</source>
        <translation>ML face à l’heuristique (points d’exactitude)</translation>
    </message>
    <message>
        <source>Green meets the deployment&apos;s target, red misses it; “%1”: no traffic, labels or feedback yet.</source>
        <translation>Vert : la cible du déploiement est atteinte, rouge : elle est manquée ; « %1 » : pas encore de trafic, d’étiquettes ou de retours.</translation>
    </message>
    <message>
        <source>Estimated figures are expected from the model&apos;s calibrated probabilities, before labels arrive.</source>
        <translation>Les valeurs estimées sont déduites des probabilités calibrées du modèle, avant l’arrivée des étiquettes.</translation>
    </message>
    <message>
        <source>ROC AUC comes from a score histogram, within %1 of the exact value.</source>
        <translation>La ROC AUC est calculée à partir d’un histogramme des scores, à %1 près de la valeur exacte.</translation>
    </message>
    <message>
        <source>The estimates of this period are not to be trusted: %1</source>
        <translation>Les estimations de cette période ne sont pas fiables : %1</translation>
    </message>
    <message>
        <source>Per class, all paths</source>
        <translation>Par classe, toutes voies</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>Classe</translation>
    </message>
    <message>
        <source>Served as</source>
        <translation>Servi comme</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>Précision</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>Rappel</translation>
    </message>
    <message>
        <source>F1</source>
        <translation>F1</translation>
    </message>
    <message>
        <source>Confusion matrix, all paths (rows: true class, columns: served class)</source>
        <translation>Matrice de confusion, toutes voies (lignes : classe réelle, colonnes : classe servie)</translation>
    </message>
    <message numerus="yes">
        <source>%n classes: too many to print; the CSV export has the whole matrix.</source>
        <translation>
            <numerusform>%n classe : trop pour être imprimée ; l’export CSV contient la matrice entière.</numerusform>
            <numerusform>%n classes : trop pour être imprimées ; l’export CSV contient la matrice entière.</numerusform>
        </translation>
    </message>
    <message>
        <source>True class</source>
        <translation>Classe réelle</translation>
    </message>
    <message>
        <source>Served class</source>
        <translation>Classe servie</translation>
    </message>
    <message>
        <source>No labelled prediction in this period.</source>
        <translation>Aucune prédiction étiquetée sur cette période.</translation>
    </message>
    <message>
        <source>Reliability of the ML path (labelled predictions by score)</source>
        <translation>Fiabilité de la voie ML (prédictions étiquetées par score)</translation>
    </message>
    <message>
        <source>P(%1)</source>
        <translation>P(%1)</translation>
    </message>
    <message>
        <source>Confidence</source>
        <translation>Confiance</translation>
    </message>
    <message>
        <source>Labelled</source>
        <translation>Étiquetées</translation>
    </message>
    <message>
        <source>Mean score</source>
        <translation>Score moyen</translation>
    </message>
    <message>
        <source>Share %1</source>
        <translation>Part %1</translation>
    </message>
    <message>
        <source>Share right</source>
        <translation>Part correcte</translation>
    </message>
    <message>
        <source>Gap</source>
        <translation>Écart</translation>
    </message>
    <message>
        <source>No labelled prediction of the model in this period.</source>
        <translation>Aucune prédiction étiquetée du modèle sur cette période.</translation>
    </message>
    <message>
        <source>A calibrated model&apos;s share observed equals its mean score in every bin.</source>
        <translation>Pour un modèle calibré, la part observée égale son score moyen dans chaque intervalle.</translation>
    </message>
    <message>
        <source>ECE</source>
        <translation>ECE</translation>
    </message>
    <message>
        <source>Grey ticks mark the changes listed at the end (flag changes, rollbacks, promotions). Estimated accuracy is drawn grey where it is not to be trusted (calibration off or too few rows).</source>
        <translation>Les repères gris marquent les changements listés à la fin (changements de drapeaux, retours arrière, promotions). L’exactitude estimée est tracée en gris là où elle n’est pas fiable (calibration faussée ou trop peu de lignes).</translation>
    </message>
    <message>
        <source>Accuracy (%): ML vs heuristic</source>
        <translation>Exactitude (%) : ML face à l’heuristique</translation>
    </message>
    <message>
        <source>ML accuracy (%): realised vs estimated</source>
        <translation>Exactitude du ML (%) : réelle face à estimée</translation>
    </message>
    <message>
        <source>realised</source>
        <translation>réelle</translation>
    </message>
    <message>
        <source>estimated</source>
        <translation>estimée</translation>
    </message>
    <message>
        <source>estimated, not trusted</source>
        <translation>estimée, non fiable</translation>
    </message>
    <message>
        <source>Calibration error (ECE) and Brier score, ML</source>
        <translation>Erreur de calibration (ECE) et score de Brier, ML</translation>
    </message>
    <message>
        <source>Brier</source>
        <translation>Brier</translation>
    </message>
    <message>
        <source>ECE target</source>
        <translation>Objectif d’ECE</translation>
    </message>
    <message>
        <source>Mean confidence and share served as %1 (%), all paths</source>
        <translation>Confiance moyenne et part servie comme %1 (%), toutes voies</translation>
    </message>
    <message>
        <source>Mean confidence (%), all paths</source>
        <translation>Confiance moyenne (%), toutes voies</translation>
    </message>
    <message>
        <source>confidence</source>
        <translation>confiance</translation>
    </message>
</context>
<context>
    <name>mldeck</name>
    <message>
        <source>Control room for a machine-learning model in production.</source>
        <translation>Salle de contrôle d’un modèle d’apprentissage automatique en production.</translation>
    </message>
    <message>
        <source>Render a page to a PNG file (1280×800) and exit.</source>
        <translation>Rendre une page dans un fichier PNG (1280×800) puis quitter.</translation>
    </message>
    <message>
        <source>file</source>
        <translation>fichier</translation>
    </message>
    <message>
        <source>Page to show: %1.</source>
        <translation>Page à afficher : %1.</translation>
    </message>
    <message>
        <source>name</source>
        <translation>nom</translation>
    </message>
    <message>
        <source>mldeck: unknown page &quot;%1&quot;; pages are: %2</source>
        <translation>mldeck : page « %1 » inconnue ; les pages sont : %2</translation>
    </message>
</context>
<context>
    <name>mldeck::AlertsService</name>
    <message>
        <source>Alert %1 acknowledged.</source>
        <translation>Alerte %1 acquittée.</translation>
    </message>
    <message>
        <source>Alert %1 silenced until %2.</source>
        <translation>Alerte %1 mise en silence jusqu’à %2.</translation>
    </message>
    <message>
        <source>Rule %1 of %2 saved: %3.</source>
        <translation>Règle %1 de %2 enregistrée : %3.</translation>
    </message>
    <message>
        <source>Rule %1 of %2 is back to its default.</source>
        <translation>La règle %1 de %2 est revenue à sa valeur par défaut.</translation>
    </message>
    <message>
        <source>Rule %1 of %2 had no changes.</source>
        <translation>La règle %1 de %2 n’avait aucune modification.</translation>
    </message>
    <message>
        <source>Deployment %1 has no rule &quot;%2&quot;.</source>
        <translation>Le déploiement %1 n’a pas de règle « %2 ».</translation>
    </message>
    <message>
        <source>Rule %1 of %2 deleted.</source>
        <translation>Règle %1 de %2 supprimée.</translation>
    </message>
</context>
<context>
    <name>mldeck::AuditChainVerifier</name>
    <message>
        <source>Row %1 has no place in the chain (no sequence or hash): it was inserted past the chain.</source>
        <translation>La ligne %1 n’a pas de place dans la chaîne (ni numéro de séquence ni empreinte) : elle a été insérée en contournant la chaîne.</translation>
    </message>
    <message>
        <source>Row %1 repeats position %2 of the chain: it was inserted out of order.</source>
        <translation>La ligne %1 reprend la position %2 de la chaîne : elle a été insérée dans le désordre.</translation>
    </message>
    <message>
        <source>Rows at positions %1 to %2 of the chain are missing before row %3: they were removed.</source>
        <translation>Les lignes des positions %1 à %2 de la chaîne manquent avant la ligne %3 : elles ont été supprimées.</translation>
    </message>
    <message>
        <source>Row %1 (position %2) does not follow the row before it (previous hash differs): a row was rewritten or inserted here.</source>
        <translation>La ligne %1 (position %2) ne suit pas la ligne qui la précède (l’empreinte précédente diffère) : une ligne a été réécrite ou insérée ici.</translation>
    </message>
    <message>
        <source>Row %1 (position %2) was changed after it was written (its content no longer matches its hash).</source>
        <translation>La ligne %1 (position %2) a été modifiée après son écriture (son contenu ne correspond plus à son empreinte).</translation>
    </message>
    <message>
        <source>The chain ends at position %1 but its head records position %2: the last rows were removed.</source>
        <translation>La chaîne se termine à la position %1 mais sa tête indique la position %2 : les dernières lignes ont été supprimées.</translation>
    </message>
    <message>
        <source>The chain&apos;s recorded head (position %1) does not match its last row (position %2): the head was moved.</source>
        <translation>La tête enregistrée de la chaîne (position %1) ne correspond pas à sa dernière ligne (position %2) : la tête a été déplacée.</translation>
    </message>
</context>
<context>
    <name>mldeck::AuditDiff</name>
    <message>
        <source>%1: added %2</source>
        <translation>%1 : ajouté %2</translation>
    </message>
    <message>
        <source>%1: removed (was %2)</source>
        <translation>%1 : supprimé (valait %2)</translation>
    </message>
    <message>
        <source>%1: %2 -&gt; %3</source>
        <translation>%1 : %2 -&gt; %3</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>(vide)</translation>
    </message>
    <message>
        <source>no change recorded</source>
        <translation>aucun changement enregistré</translation>
    </message>
</context>
<context>
    <name>mldeck::AuditExport</name>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
    <message>
        <source>Export cancelled; no file was written.</source>
        <translation>Export annulé ; aucun fichier n’a été écrit.</translation>
    </message>
    <message>
        <source>Export failed, no file was written: %1</source>
        <translation>Échec de l’export, aucun fichier n’a été écrit : %1</translation>
    </message>
</context>
<context>
    <name>mldeck::AuditFilter</name>
    <message>
        <source>The kind &quot;%1&quot; is not an action or a family of actions (like flags or flags.rollback).</source>
        <translation>Le type « %1 » n’est ni une action ni une famille d’actions (comme flags ou flags.rollback).</translation>
    </message>
    <message>
        <source>The time range ends (%1) before it starts (%2).</source>
        <translation>La plage de temps se termine (%1) avant de commencer (%2).</translation>
    </message>
    <message>
        <source>The filter contains a NUL character.</source>
        <translation>Le filtre contient un caractère NUL.</translation>
    </message>
</context>
<context>
    <name>mldeck::ClassSpec</name>
    <message>
        <source>A classifier needs at least two classes (%1 given).</source>
        <translation>Un classifieur demande au moins deux classes (%1 données).</translation>
    </message>
    <message>
        <source>A classifier has at most %1 classes (%2 given).</source>
        <translation>Un classifieur a au plus %1 classes (%2 données).</translation>
    </message>
    <message>
        <source>A class name is empty.</source>
        <translation>Un nom de classe est vide.</translation>
    </message>
    <message>
        <source>The class name &quot;%1…&quot; is longer than 64 characters.</source>
        <translation>Le nom de classe « %1… » dépasse 64 caractères.</translation>
    </message>
    <message>
        <source>The class &quot;%1&quot; is named twice.</source>
        <translation>La classe « %1 » est nommée deux fois.</translation>
    </message>
    <message>
        <source>The decision threshold must lie strictly between 0 and 1 (%1 given).</source>
        <translation>Le seuil de décision doit être strictement compris entre 0 et 1 (%1 donné).</translation>
    </message>
    <message>
        <source>&quot;classes&quot; must be a list of class names.</source>
        <translation>« classes » doit être une liste de noms de classes.</translation>
    </message>
    <message>
        <source>&quot;decision_threshold&quot; must be a number.</source>
        <translation>« decision_threshold » doit être un nombre.</translation>
    </message>
</context>
<context>
    <name>mldeck::CsvReader</name>
    <message>
        <source>unterminated quote: a field opened with &quot; is never closed.</source>
        <translation>guillemet non fermé : un champ ouvert par &quot; n’est jamais refermé.</translation>
    </message>
    <message>
        <source>%1 is empty: the first line must name the columns.</source>
        <translation>%1 est vide : la première ligne doit nommer les colonnes.</translation>
    </message>
    <message>
        <source>the column &quot;%1&quot; appears twice.</source>
        <translation>la colonne « %1 » apparaît deux fois.</translation>
    </message>
    <message>
        <source>%1 fields where the header has %2.</source>
        <translation>%1 champs alors que l’en-tête en a %2.</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <source>a quote inside an unquoted field, or text after a closing quote (a field that holds a quote is quoted and doubles it: &quot;a &quot;&quot;b&quot;&quot; c&quot;).</source>
        <translation>un guillemet dans un champ qui n’est pas entre guillemets, ou du texte après un guillemet fermant (un champ qui contient un guillemet est mis entre guillemets et le double : &quot;a &quot;&quot;b&quot;&quot; c&quot;).</translation>
    </message>
    <message>
        <source>a field is too large to hold in memory.</source>
        <translation>un champ est trop grand pour tenir en mémoire.</translation>
    </message>
    <message>
        <source>%1, line %2: %3</source>
        <translation>%1, ligne %2 : %3</translation>
    </message>
    <message>
        <source>Cannot read %1: %2</source>
        <translation>Impossible de lire %1 : %2</translation>
    </message>
</context>
<context>
    <name>mldeck::DependencyFields</name>
    <message>
        <source>no report within its expiry: the backend stopped reporting or is down</source>
        <translation>aucun rapport avant son expiration : le backend ne rapporte plus ou est arrêté</translation>
    </message>
    <message>
        <source>the key is a %1, not a hash</source>
        <translation>la clé est un %1, pas un hash</translation>
    </message>
    <message>
        <source>state &quot;%1&quot; is not up, down or degraded</source>
        <translation>l’état « %1 » n’est ni up, ni down, ni degraded</translation>
    </message>
    <message>
        <source>fallback_active &quot;%1&quot; is not 0 or 1</source>
        <translation>fallback_active « %1 » ne vaut ni 0 ni 1</translation>
    </message>
    <message>
        <source>updated_at &quot;%1&quot; is not an ISO-8601 UTC time</source>
        <translation>updated_at « %1 » n’est pas une heure UTC ISO-8601</translation>
    </message>
    <message>
        <source>fallback_since &quot;%1&quot; is not an ISO-8601 UTC time</source>
        <translation>fallback_since « %1 » n’est pas une heure UTC ISO-8601</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation>« %1 » n’est pas un nom de déploiement valide.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid dependency name (lower-case letter first, then up to 62 of a-z, 0-9, _ and -).</source>
        <translation>« %1 » n’est pas un nom de dépendance valide (une minuscule d’abord, puis jusqu’à 62 caractères parmi a-z, 0-9, _ et -).</translation>
    </message>
    <message>
        <source>A backend reports up, down or degraded; unknown is what readers conclude.</source>
        <translation>Un backend rapporte up, down ou degraded ; « inconnu » est ce que concluent les lecteurs.</translation>
    </message>
    <message>
        <source>A dependency in fallback needs the time the fallback started.</source>
        <translation>Une dépendance en mode dégradé demande l’heure de début du mode dégradé.</translation>
    </message>
</context>
<context>
    <name>mldeck::DependencyStore</name>
    <message>
        <source>Unexpected answer from Redis to the dependency read.</source>
        <translation>Réponse inattendue de Redis à la lecture des dépendances.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation>« %1 » n’est pas un nom de déploiement valide.</translation>
    </message>
    <message>
        <source>The Redis key %1 is a %2, not a set; the dependencies of &quot;%3&quot; cannot be read.</source>
        <translation>La clé Redis %1 est un %2, pas un ensemble ; les dépendances de « %3 » ne peuvent pas être lues.</translation>
    </message>
    <message>
        <source>written without an expiry, so a stopped backend could not be told apart</source>
        <translation>écrit sans expiration : un backend arrêté ne pourrait pas être reconnu</translation>
    </message>
    <message>
        <source>The expiry of a dependency report must be from %1 to %2 ms, not %3.</source>
        <translation>L’expiration d’un rapport de dépendance doit être comprise entre %1 et %2 ms, pas %3.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; / &quot;%2&quot; is not a valid deployment / dependency name.</source>
        <translation>« %1 » / « %2 » n’est pas un nom de déploiement / de dépendance valide.</translation>
    </message>
</context>
<context>
    <name>mldeck::FolderImageStore</name>
    <message>
        <source>folder %1</source>
        <translation>dossier %1</translation>
    </message>
    <message>
        <source>Image %1: the store&apos;s folder %2 does not exist.</source>
        <translation>Image %1 : le dossier du stockage %2 n’existe pas.</translation>
    </message>
    <message>
        <source>Image %1 is missing from %2.</source>
        <translation>L’image %1 est absente de %2.</translation>
    </message>
    <message>
        <source>Image %1 leads outside the store&apos;s folder %2: refused.</source>
        <translation>L’image %1 mène hors du dossier du stockage %2 : refusée.</translation>
    </message>
    <message>
        <source>Image %1 in %2 is not a file.</source>
        <translation>L’image %1 dans %2 n’est pas un fichier.</translation>
    </message>
    <message>
        <source>Image %1 is %2 MB, more than the %3 MB MLDeck reads.</source>
        <translation>L’image %1 fait %2 Mo, plus que les %3 Mo que MLDeck lit.</translation>
    </message>
    <message>
        <source>Image %1 cannot be read: %2</source>
        <translation>L’image %1 ne peut pas être lue : %2</translation>
    </message>
</context>
<context>
    <name>mldeck::GuardDaemon</name>
    <message>
        <source>stop requested</source>
        <translation>arrêt demandé</translation>
    </message>
    <message>
        <source>guard stopped (%1): leadership of scope &quot;%2&quot; released</source>
        <translation>garde arrêtée (%1) : la direction de la portée « %2 » est libérée</translation>
    </message>
    <message>
        <source>guard stopped (%1)</source>
        <translation>garde arrêtée (%1)</translation>
    </message>
</context>
<context>
    <name>mldeck::GuardRunner</name>
    <message>
        <source>cannot reach PostgreSQL to elect the guard leader: %1</source>
        <translation>impossible de joindre PostgreSQL pour élire le leader de la garde : %1</translation>
    </message>
    <message>
        <source>standing by: another guard is the leader</source>
        <translation>en attente : une autre garde est le leader</translation>
    </message>
    <message>
        <source>cannot list the deployments in Redis: %1</source>
        <translation>impossible de lister les déploiements dans Redis : %1</translation>
    </message>
    <message>
        <source>leading: this guard is now the leader of scope &quot;%1&quot;</source>
        <translation>direction : cette garde dirige maintenant la portée « %1 »</translation>
    </message>
</context>
<context>
    <name>mldeck::HistoryBackfill</name>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation>« %1 » n’est pas un nom de déploiement valide.</translation>
    </message>
    <message>
        <source>The history must span %1 to %2 days, not %3.</source>
        <translation>L’historique doit couvrir de %1 à %2 jours, pas %3.</translation>
    </message>
    <message>
        <source>The rate must be above 0 and at most %1 requests per second, not %2.</source>
        <translation>Le débit doit être supérieur à 0 et d’au plus %1 requêtes par seconde, pas %2.</translation>
    </message>
    <message>
        <source>The MLDeck schema is missing or out of date: run &quot;mldeckctl migrate&quot; first.</source>
        <translation>Le schéma MLDeck est absent ou pas à jour : lancez d’abord « mldeckctl migrate ».</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already has logged predictions: a history is only loaded into an empty log (start from a new database).</source>
        <translation>Le déploiement « %1 » a déjà des prédictions journalisées : un historique ne se charge que dans un journal vide (partez d’une nouvelle base).</translation>
    </message>
    <message>
        <source>Ride delay prediction (demo)</source>
        <translation>Prédiction du retard des courses (démo)</translation>
    </message>
    <message>
        <source>prepare (models, partitions)</source>
        <translation>préparation (modèles, partitions)</translation>
    </message>
    <message>
        <source>prepared in %1 s: models loaded in their workers, day partitions made</source>
        <translation>préparé en %1 s : modèles chargés dans leurs workers, partitions journalières créées</translation>
    </message>
    <message>
        <source>generate (rides, routing, both models)</source>
        <translation>génération (courses, routage, les deux modèles)</translation>
    </message>
    <message>
        <source>COPY (predictions, outcomes, feedback)</source>
        <translation>COPY (prédictions, résultats, retours)</translation>
    </message>
    <message>
        <source>events (plan, guard, drift, retrain, registry)</source>
        <translation>événements (plan, garde, dérive, réentraînement, registre)</translation>
    </message>
    <message>
        <source>%1 predictions, %2 outcomes, %3 feedback written with COPY in %4 s (%5 rows/s)</source>
        <translation>%1 prédictions, %2 résultats, %3 retours écrits avec COPY en %4 s (%5 lignes/s)</translation>
    </message>
    <message>
        <source>KPI aggregates (kpi_rebuild, once)</source>
        <translation>agrégats KPI (kpi_rebuild, une fois)</translation>
    </message>
    <message>
        <source>KPI aggregates built once in %1 s (%2 aggregate rows)</source>
        <translation>agrégats KPI construits une fois en %1 s (%2 lignes d’agrégats)</translation>
    </message>
    <message>
        <source>Redis flags and champion</source>
        <translation>drapeaux Redis et champion</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is a classifier of %2; the demo history is one of ride offers, classes %3.</source>
        <translation>Le déploiement « %1 » est un classifieur de %2 ; l’historique de démonstration porte sur des offres de course, classes %3.</translation>
    </message>
</context>
<context>
    <name>mldeck::HistoryEvents</name>
    <message>
        <source>First model for the ETA service</source>
        <translation>Premier modèle du service d’ETA</translation>
    </message>
    <message>
        <source>Rollout per the deployment guide</source>
        <translation>Déploiement progressif selon le guide de déploiement</translation>
    </message>
    <message>
        <source>Reviewed by the team: %1 acceptable at this step</source>
        <translation>Revu par l’équipe : %1 acceptable à cette étape</translation>
    </message>
    <message>
        <source>staged plan: step %1 (%2 %) -&gt; step %3 (%4 %), all gates passed</source>
        <translation>plan par étapes : étape %1 (%2 %) -&gt; étape %3 (%4 %), tous les critères sont satisfaits</translation>
    </message>
    <message>
        <source>The history&apos;s incident did not reach the guard&apos;s rollback rule (%1); use a higher rate.</source>
        <translation>L’incident de l’historique n’a pas atteint la règle de retour arrière de la garde (%1) ; utilisez un débit plus élevé.</translation>
    </message>
    <message>
        <source>Guard turned ML off for %1</source>
        <translation>La garde a coupé le ML pour %1</translation>
    </message>
    <message>
        <source>Model server fixed (a bad deploy of its feature service was rolled back)</source>
        <translation>Serveur de modèle réparé (un mauvais déploiement de son service de variables a été annulé)</translation>
    </message>
    <message>
        <source>Incident closed: ML back on at the plan&apos;s current step</source>
        <translation>Incident clos : ML réactivé à l’étape courante du plan</translation>
    </message>
    <message>
        <source>Drift on %1: %2 = %3 (threshold %4)</source>
        <translation>Dérive sur %1 : %2 = %3 (seuil %4)</translation>
    </message>
    <message>
        <source>Dataset drift: %1 of %2 features drift</source>
        <translation>Dérive du jeu de données : %1 variables sur %2 dérivent</translation>
    </message>
    <message>
        <source>Heavy rain and a driver shortage in the city today; the model copes, watching</source>
        <translation>Fortes pluies et manque de chauffeurs en ville aujourd’hui ; le modèle tient, on surveille</translation>
    </message>
    <message>
        <source>MAE %1 -&gt; %2 on the holdout (%3 % better, rule: at least 2 %)</source>
        <translation>MAE %1 -&gt; %2 sur le jeu de contrôle (%3 % de mieux, règle : au moins 2 %)</translation>
    </message>
    <message>
        <source>MAE %1 -&gt; %2 on the holdout: below the 2 % the rule asks</source>
        <translation>MAE %1 -&gt; %2 sur le jeu de contrôle : en dessous des 2 % que demande la règle</translation>
    </message>
    <message>
        <source>Feedback over 30 days: %1 items, %2 negative, satisfaction %3 %; trained on 7 days, evaluated on the last %4 rides.</source>
        <translation>Retours sur 30 jours : %1 éléments, %2 négatifs, satisfaction %3 % ; entraîné sur 7 jours, évalué sur les %4 dernières courses.</translation>
    </message>
    <message>
        <source>The retrained model was not registered before its promotion.</source>
        <translation>Le modèle réentraîné n’a pas été enregistré avant sa promotion.</translation>
    </message>
    <message>
        <source>Retrained on the last 7 days: better MAE on the holdout</source>
        <translation>Réentraîné sur les 7 derniers jours : meilleure MAE sur le jeu de contrôle</translation>
    </message>
    <message>
        <source>A month of demo history loaded</source>
        <translation>Un mois d’historique de démonstration chargé</translation>
    </message>
    <message>
        <source>First model for ride-offer acceptance</source>
        <translation>Premier modèle d’acceptation des offres de course</translation>
    </message>
</context>
<context>
    <name>mldeck::ImageAugmentation</name>
    <message>
        <source>Augmentation &quot;horizontal_flip&quot; must be true or false.</source>
        <translation>L’augmentation « horizontal_flip » doit valoir true ou false.</translation>
    </message>
    <message>
        <source>Augmentation &quot;max_crop&quot; must be a number.</source>
        <translation>L’augmentation « max_crop » doit être un nombre.</translation>
    </message>
    <message>
        <source>The largest crop must be from 0 to 0.5 of the image&apos;s side (got %1).</source>
        <translation>Le plus grand recadrage doit aller de 0 à 0,5 du côté de l’image (reçu : %1).</translation>
    </message>
</context>
<context>
    <name>mldeck::KpiService</name>
    <message>
        <source>Nothing is loaded yet: choose a deployment and a range first.</source>
        <translation>Rien n’est encore chargé : choisissez d’abord un déploiement et une plage.</translation>
    </message>
</context>
<context>
    <name>mldeck::MetricsServer</name>
    <message>
        <source>Cannot listen on %1:%2 for /metrics.</source>
        <translation>Impossible d’écouter sur %1:%2 pour /metrics.</translation>
    </message>
    <message>
        <source>--listen takes PORT (on loopback) or HOST:PORT with an IP address, such as 9464, 127.0.0.1:9464 or [::1]:9464 (got &quot;%1&quot;).</source>
        <translation>--listen attend PORT (en boucle locale) ou HÔTE:PORT avec une adresse IP, comme 9464, 127.0.0.1:9464 ou [::1]:9464 (reçu « %1 »).</translation>
    </message>
</context>
<context>
    <name>mldeck::ModelRunner</name>
    <message>
        <source>No model file given.</source>
        <translation>Aucun fichier de modèle indiqué.</translation>
    </message>
    <message>
        <source>Model file %1 does not exist.</source>
        <translation>Le fichier de modèle %1 n’existe pas.</translation>
    </message>
    <message>
        <source>Model path %1 is not a file.</source>
        <translation>Le chemin de modèle %1 n’est pas un fichier.</translation>
    </message>
    <message>
        <source>Cannot read model file %1: %2</source>
        <translation>Impossible de lire le fichier de modèle %1 : %2</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>Model file %1 does not match its expected SHA-256 (%2…, expected %3…): it was not loaded.</source>
        <translation>Le fichier de modèle %1 ne correspond pas à son SHA-256 attendu (%2…, attendu %3…) : il n’a pas été chargé.</translation>
    </message>
    <message>
        <source>The model worker sent a malformed answer while loading %1.</source>
        <translation>Le processus de modèle a envoyé une réponse mal formée pendant le chargement de %1.</translation>
    </message>
    <message>
        <source>The model worker sent an unexpected answer while loading %1.</source>
        <translation>Le processus de modèle a envoyé une réponse inattendue pendant le chargement de %1.</translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation>Modèle %1 : %2</translation>
    </message>
    <message>
        <source>The model worker sent a malformed answer for model %1.</source>
        <translation>Le processus de modèle a envoyé une réponse mal formée pour le modèle %1.</translation>
    </message>
    <message>
        <source>Row %1 has %2 numeric and %3 categorical values; this model (no metadata) takes %4 numeric values and no categorical ones.</source>
        <translation>La ligne %1 a %2 valeurs numériques et %3 catégorielles ; ce modèle (sans métadonnées) prend %4 valeurs numériques et aucune catégorielle.</translation>
    </message>
    <message>
        <source>Row %1 has a numeric value that is not a finite number.</source>
        <translation>La ligne %1 a une valeur numérique qui n’est pas un nombre fini.</translation>
    </message>
    <message>
        <source>Model %1 is a classifier of %2 classes: it predicts a probability vector per row, not one value.</source>
        <translation>Le modèle %1 est un classifieur à %2 classes : il prédit un vecteur de probabilités par ligne, pas une valeur unique.</translation>
    </message>
    <message>
        <source>Model %1 is not a classifier (its metadata gives task &quot;%2&quot;).</source>
        <translation>Le modèle %1 n’est pas un classifieur (ses métadonnées indiquent la tâche « %2 »).</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucun</translation>
    </message>
    <message>
        <source>Model %1 is not an image model (its metadata has no &quot;input&quot;: &quot;image&quot;).</source>
        <translation>Le modèle %1 n’est pas un modèle d’image (ses métadonnées n’ont pas « input » : « image »).</translation>
    </message>
    <message>
        <source>Model %1: no images given.</source>
        <translation>Modèle %1 : aucune image donnée.</translation>
    </message>
    <message>
        <source>Model %1 is an image model: it takes images, not feature rows.</source>
        <translation>Le modèle %1 est un modèle d’image : il prend des images, pas des lignes de variables.</translation>
    </message>
</context>
<context>
    <name>mldeck::ModelWorker</name>
    <message>
        <source>MLDECK_MODEL_WORKER names %1, which is not an executable file.</source>
        <translation>MLDECK_MODEL_WORKER désigne %1, qui n’est pas un fichier exécutable.</translation>
    </message>
    <message>
        <source>The model worker (mldeck-model-worker) was not found next to %1 nor in %2; set MLDECK_MODEL_WORKER to its path.</source>
        <translation>Le processus de modèle (mldeck-model-worker) est introuvable à côté de %1 comme dans %2 ; indiquez son chemin dans MLDECK_MODEL_WORKER.</translation>
    </message>
    <message>
        <source>Cannot start the model worker: %1</source>
        <translation>Impossible de démarrer le processus de modèle : %1</translation>
    </message>
    <message>
        <source>Cannot start the model worker %1: %2</source>
        <translation>Impossible de démarrer le processus de modèle %1 : %2</translation>
    </message>
    <message>
        <source>The model worker answered with an unexpected message at start.</source>
        <translation>Le processus de modèle a répondu par un message inattendu au démarrage.</translation>
    </message>
    <message>
        <source>The model worker did not start within %1 s.</source>
        <translation>Le processus de modèle n’a pas démarré en %1 s.</translation>
    </message>
    <message>
        <source>starting</source>
        <translation>démarrait</translation>
    </message>
    <message>
        <source>The model ran out of memory (the worker&apos;s limit is %1 MB); its worker was stopped and the next request starts a fresh one.</source>
        <translation>Le modèle a manqué de mémoire (la limite du processus est de %1 Mo) ; son processus a été arrêté et la prochaine requête en démarre un neuf.</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Annulé.</translation>
    </message>
    <message>
        <source>Cancelled (the model worker did not stop within %1 s and was stopped).</source>
        <translation>Annulé (le processus de modèle ne s’est pas arrêté en %1 s et a été arrêté de force).</translation>
    </message>
    <message>
        <source>The model did not answer within %1 s; its worker was stopped and the next request starts a fresh one.</source>
        <translation>Le modèle n’a pas répondu en %1 s ; son processus a été arrêté et la prochaine requête en démarre un neuf.</translation>
    </message>
    <message>
        <source>working</source>
        <translation>travaillait</translation>
    </message>
    <message>
        <source>receiving a request</source>
        <translation>recevait une requête</translation>
    </message>
    <message>
        <source>was killed (signal 9: by a person, or by the system when memory ran out)</source>
        <translation>a été tué (signal 9 : par une personne, ou par le système faute de mémoire)</translation>
    </message>
    <message>
        <source>crashed (signal %1: %2)</source>
        <translation>a planté (signal %1 : %2)</translation>
    </message>
    <message>
        <source>exited with status %1</source>
        <translation>s’est terminé avec le code %1</translation>
    </message>
    <message>
        <source>closed its connection</source>
        <translation>a fermé sa connexion</translation>
    </message>
    <message>
        <source>The model worker %1 while %2; the next request starts a fresh one.</source>
        <translation>Le processus de modèle %1 pendant qu’il %2 ; la prochaine requête en démarre un neuf.</translation>
    </message>
</context>
<context>
    <name>mldeck::ModelsService</name>
    <message>
        <source>This file is already registered as %1@%2; nothing changed.</source>
        <translation>Ce fichier est déjà enregistré en tant que %1@%2 ; rien n’a changé.</translation>
    </message>
    <message>
        <source>Registered %1@%2 (%3).</source>
        <translation>%1@%2 enregistré (%3).</translation>
    </message>
    <message>
        <source>%1@%2 is now the %3.</source>
        <translation>%1@%2 est maintenant %3.</translation>
    </message>
    <message>
        <source>Restored %1@%2 as champion.</source>
        <translation>%1@%2 restauré comme champion.</translation>
    </message>
    <message>
        <source>Archived %1@%2.</source>
        <translation>%1@%2 archivé.</translation>
    </message>
    <message>
        <source>No Redis connection is configured.</source>
        <translation>Aucune connexion Redis n’est configurée.</translation>
    </message>
    <message>
        <source>Publishing the champion of &quot;%1&quot; in Redis failed: %2</source>
        <translation>La publication du champion de « %1 » dans Redis a échoué : %2</translation>
    </message>
    <message>
        <source>Published %1@%2 as champion in Redis.</source>
        <translation>%1@%2 publié comme champion dans Redis.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no champion; its Redis key was cleared.</source>
        <translation>Le déploiement « %1 » n’a pas de champion ; sa clé Redis a été effacée.</translation>
    </message>
    <message>
        <source>Model checks: %1.</source>
        <translation>Contrôles du modèle : %1.</translation>
    </message>
    <message numerus="yes">
        <source>Golden dataset of %1 registered: %2, %n row(s); the model checks run on it before every promotion.</source>
        <translation>
            <numerusform>Jeu de données de référence de %1 enregistré : %2, %n ligne ; les contrôles du modèle s’y exécutent avant chaque promotion.</numerusform>
            <numerusform>Jeu de données de référence de %1 enregistré : %2, %n lignes ; les contrôles du modèle s’y exécutent avant chaque promotion.</numerusform>
        </translation>
    </message>
    <message>
        <source>Golden dataset %1 of %2 removed: no promotion checks configured.</source>
        <translation>Jeu de données de référence %1 de %2 supprimé : aucun contrôle de promotion configuré.</translation>
    </message>
</context>
<context>
    <name>mldeck::RepeatFilter</name>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message numerus="yes">
        <source>%1 (repeated %n times over %2, until this stop)</source>
        <translation>
            <numerusform>%1 (répété %n fois sur %2, jusqu’à cet arrêt)</numerusform>
            <numerusform>%1 (répété %n fois sur %2, jusqu’à cet arrêt)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 (repeated %n times over %2, now stopped)</source>
        <translation>
            <numerusform>%1 (répété %n fois sur %2, terminé)</numerusform>
            <numerusform>%1 (répété %n fois sur %2, terminé)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 (repeated %n times over %2 so far)</source>
        <translation>
            <numerusform>%1 (répété %n fois sur %2 jusqu’ici)</numerusform>
            <numerusform>%1 (répété %n fois sur %2 jusqu’ici)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::RolePermissions</name>
    <message>
        <source> or </source>
        <comment>between role names</comment>
        <translation> ou </translation>
    </message>
    <message>
        <source>deployments</source>
        <translation>les déploiements</translation>
    </message>
    <message>
        <source>KPI targets</source>
        <translation>les cibles KPI</translation>
    </message>
    <message>
        <source>guard rules</source>
        <translation>les règles de la garde</translation>
    </message>
    <message>
        <source>alert rules</source>
        <translation>les règles d’alerte</translation>
    </message>
    <message>
        <source>the webhook</source>
        <translation>le webhook</translation>
    </message>
    <message>
        <source>drift settings</source>
        <translation>les réglages de dérive</translation>
    </message>
    <message>
        <source>retrain settings</source>
        <translation>les réglages de réentraînement</translation>
    </message>
    <message>
        <source>Read-only: your role %1 may not %2; only the owner of the MLDeck schema may.</source>
        <translation>Lecture seule : votre rôle %1 ne peut pas %2 ; seul le propriétaire du schéma MLDeck le peut.</translation>
    </message>
    <message>
        <source>Read-only: your role %1 may not %2; %3 may.</source>
        <translation>Lecture seule : votre rôle %1 ne peut pas %2 ; %3 le peut.</translation>
    </message>
    <message>
        <source>owner</source>
        <translation>propriétaire</translation>
    </message>
    <message>
        <source>no MLDeck role</source>
        <translation>aucun rôle MLDeck</translation>
    </message>
    <message>
        <source>viewer</source>
        <translation>lecteur</translation>
    </message>
    <message>
        <source>operator</source>
        <translation>opérateur</translation>
    </message>
    <message>
        <source>scientist</source>
        <translation>scientifique</translation>
    </message>
    <message>
        <source>admin</source>
        <translation>administrateur</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <comment>user · MLDeck role</comment>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>change flags</source>
        <translation>modifier les drapeaux</translation>
    </message>
    <message>
        <source>roll back</source>
        <translation>faire un retour arrière</translation>
    </message>
    <message>
        <source>change the rollout plan</source>
        <translation>modifier le plan de déploiement</translation>
    </message>
    <message>
        <source>advance the rollout plan</source>
        <translation>faire avancer le plan de déploiement</translation>
    </message>
    <message>
        <source>register models</source>
        <translation>enregistrer des modèles</translation>
    </message>
    <message>
        <source>promote models</source>
        <translation>promouvoir des modèles</translation>
    </message>
    <message>
        <source>restore the previous champion</source>
        <translation>restaurer le champion précédent</translation>
    </message>
    <message>
        <source>archive models</source>
        <translation>archiver des modèles</translation>
    </message>
    <message>
        <source>launch retraining</source>
        <translation>lancer un réentraînement</translation>
    </message>
    <message>
        <source>decide on a retrain run</source>
        <translation>décider de l’issue d’un réentraînement</translation>
    </message>
    <message>
        <source>acknowledge alerts</source>
        <translation>acquitter des alertes</translation>
    </message>
    <message>
        <source>silence alerts</source>
        <translation>mettre des alertes en silence</translation>
    </message>
    <message>
        <source>purge feedback</source>
        <translation>purger les retours</translation>
    </message>
    <message>
        <source>verify the audit log</source>
        <translation>vérifier le journal d’audit</translation>
    </message>
    <message>
        <source>change deployments</source>
        <translation>modifier les déploiements</translation>
    </message>
    <message>
        <source>change KPI targets</source>
        <translation>modifier les objectifs de KPI</translation>
    </message>
    <message>
        <source>change guard rules</source>
        <translation>modifier les règles du garde</translation>
    </message>
    <message>
        <source>change alert rules</source>
        <translation>modifier les règles d’alerte</translation>
    </message>
    <message>
        <source>change the webhook</source>
        <translation>modifier le webhook</translation>
    </message>
    <message>
        <source>change drift settings</source>
        <translation>modifier les réglages de dérive</translation>
    </message>
    <message>
        <source>change retrain settings</source>
        <translation>modifier les réglages de réentraînement</translation>
    </message>
    <message>
        <source>change the retention</source>
        <translation>modifier la rétention</translation>
    </message>
    <message>
        <source>the retention</source>
        <translation>la rétention</translation>
    </message>
</context>
<context>
    <name>mldeck::SecretStore</name>
    <message>
        <source>no keychain account name was given</source>
        <translation>aucun nom de compte de trousseau n’a été donné</translation>
    </message>
    <message>
        <source>the system keychain did not answer within %1 s: the password will be asked each session</source>
        <translation>le trousseau du système n’a pas répondu en %1 s : le mot de passe sera demandé à chaque session</translation>
    </message>
    <message>
        <source>no password is saved in the system keychain for %1</source>
        <translation>aucun mot de passe n’est enregistré dans le trousseau du système pour %1</translation>
    </message>
    <message>
        <source>access to the system keychain was denied (%1): the password will be asked each session</source>
        <translation>l’accès au trousseau du système a été refusé (%1) : le mot de passe sera demandé à chaque session</translation>
    </message>
    <message>
        <source>no system keychain is available (%1): the password will be asked each session</source>
        <translation>aucun trousseau système n’est disponible (%1) : le mot de passe sera demandé à chaque session</translation>
    </message>
    <message>
        <source>could not delete the password of %1 from the system keychain (%2)</source>
        <translation>impossible de supprimer le mot de passe de %1 du trousseau du système (%2)</translation>
    </message>
</context>
<context>
    <name>mldeck::ServerWatch</name>
    <message>
        <source>connecting to %1</source>
        <translation>connexion à %1</translation>
    </message>
    <message>
        <source>not responding: %1 earlier checks of %2 are still waiting</source>
        <translation>ne répond pas : %1 vérifications précédentes de %2 sont toujours en attente</translation>
    </message>
    <message>
        <source>could not start a check of %1 (out of threads?)</source>
        <translation>impossible de lancer une vérification de %1 (plus de threads ?)</translation>
    </message>
    <message>
        <source>not responding: no answer from %1 within %2 s</source>
        <translation>ne répond pas : aucune réponse de %1 en %2 s</translation>
    </message>
</context>
<context>
    <name>mldeck::Settings</name>
    <message>
        <source>Setting &quot;%1&quot; cannot hold a value of type %2.</source>
        <translation>Le réglage « %1 » ne peut pas contenir une valeur de type %2.</translation>
    </message>
    <message>
        <source>Language &quot;%1&quot; is not available (choose the system language, en or fr).</source>
        <translation>La langue « %1 » n’est pas disponible (choisissez la langue du système, en ou fr).</translation>
    </message>
    <message>
        <source>Refresh interval must be between %1 and %2 ms.</source>
        <translation>L’intervalle de rafraîchissement doit être compris entre %1 et %2 ms.</translation>
    </message>
    <message>
        <source>Could not write the settings file %1.</source>
        <translation>Impossible d’écrire le fichier de réglages %1.</translation>
    </message>
</context>
<context>
    <name>mldeck::TorchImageTrainer</name>
    <message>
        <source>%1 images: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>%1 images: %2 has the label %3, which is not a class index of the model (0 to %4).</source>
        <translation>%1 : %2 a l’étiquette %3, qui n’est pas un indice de classe du modèle (0 à %4).</translation>
    </message>
    <message>
        <source>Model %1 is not an image classifier (mldeck.json: &quot;input&quot;: &quot;image&quot;).</source>
        <translation>Le modèle %1 n’est pas un classifieur d’images (mldeck.json : &quot;input&quot;: &quot;image&quot;).</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Entraînement</translation>
    </message>
    <message>
        <source>Validation</source>
        <translation>Validation</translation>
    </message>
    <message numerus="yes">
        <source>Too few usable training images: %1 (at least %2 are needed); %n image(s) were skipped.</source>
        <translation>
            <numerusform>Trop peu d’images d’entraînement utilisables : %1 (il en faut au moins %2) ; %n image(s) ignorée(s).</numerusform>
            <numerusform>Trop peu d’images d’entraînement utilisables : %1 (il en faut au moins %2) ; %n image(s) ignorée(s).</numerusform>
        </translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation>Modèle %1 : %2</translation>
    </message>
    <message>
        <source>training diverged: loss is %1 at epoch %2, batch %3; try a lower learning rate</source>
        <translation>l’entraînement a divergé : la perte vaut %1 à l’époque %2, lot %3 ; essayez un taux d’apprentissage plus faible</translation>
    </message>
    <message numerus="yes">
        <source>No usable validation image: %n image(s) skipped.</source>
        <translation>
            <numerusform>Aucune image de validation utilisable : %n image(s) ignorée(s).</numerusform>
            <numerusform>Aucune image de validation utilisable : %n image(s) ignorée(s).</numerusform>
        </translation>
    </message>
    <message>
        <source>Model %1 (validation): %2</source>
        <translation>Modèle %1 (validation) : %2</translation>
    </message>
    <message>
        <source>training diverged: validation loss is %1 after epoch %2; try a lower learning rate</source>
        <translation>l’entraînement a divergé : la perte de validation vaut %1 après l’époque %2 ; essayez un taux d’apprentissage plus faible</translation>
    </message>
</context>
<context>
    <name>mldeck::TorchModel</name>
    <message>
        <source>%1 is not a TorchScript model file (torch.jit.save output): %2</source>
        <translation>%1 n’est pas un fichier de modèle TorchScript (sortie de torch.jit.save) : %2</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>%1: the model does not accept the input its metadata describes (%2 values per row%3): %4</source>
        <translation>%1 : le modèle n’accepte pas l’entrée que décrivent ses métadonnées (%2 valeurs par ligne%3) : %4</translation>
    </message>
    <message>
        <source>, windows of %1 rows</source>
        <translation>, fenêtres de %1 lignes</translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation>Modèle %1 : %2</translation>
    </message>
    <message>
        <source>Model %1 failed: %2</source>
        <translation>Le modèle %1 a échoué : %2</translation>
    </message>
    <message>
        <source>Model %1 failed with an unknown error.</source>
        <translation>Le modèle %1 a échoué avec une erreur inconnue.</translation>
    </message>
    <message>
        <source>the model returned %1, not a tensor.</source>
        <translation>le modèle a renvoyé %1, pas un tenseur.</translation>
    </message>
    <message>
        <source>the model gave a non-finite prediction (%1) for row %2.</source>
        <translation>le modèle a donné une prédiction non finie (%1) pour la ligne %2.</translation>
    </message>
    <message>
        <source>the model returned a tensor of shape %1, expected [%2] or [%2, values per row].</source>
        <translation>le modèle a renvoyé un tenseur de forme %1, [%2] ou [%2, valeurs par ligne] était attendu.</translation>
    </message>
    <message>
        <source>%1 (shape %2).</source>
        <translation>%1 (forme %2).</translation>
    </message>
    <message>
        <source>the model returned %1 values per row, %2 when it was loaded.</source>
        <translation>le modèle a renvoyé %1 valeurs par ligne, contre %2 à son chargement.</translation>
    </message>
    <message>
        <source>, images [C, H, W] = [%1, %2, %3]</source>
        <translation>, images [C, H, W] = [%1, %2, %3]</translation>
    </message>
    <message>
        <source>Model %1 takes images of %2 values each (C·H·W), not %3.</source>
        <translation>Le modèle %1 prend des images de %2 valeurs chacune (C·H·W), pas %3.</translation>
    </message>
</context>
<context>
    <name>mldeck::TorchNanny</name>
    <message>
        <source>The nanny&apos;s weights are malformed.</source>
        <translation>Les poids du modèle nanny sont mal formés.</translation>
    </message>
    <message>
        <source>The nanny&apos;s weights do not fit an input of %1 values.</source>
        <translation>Les poids du modèle nanny ne correspondent pas à une entrée de %1 valeurs.</translation>
    </message>
    <message>
        <source>Malformed nanny training request.</source>
        <translation>Demande d’entraînement du modèle nanny mal formée.</translation>
    </message>
    <message>
        <source>The nanny&apos;s training diverged (validation loss is not finite at epoch %1).</source>
        <translation>L’entraînement du modèle nanny a divergé (la perte de validation n’est pas finie à l’époque %1).</translation>
    </message>
    <message>
        <source>Malformed nanny scoring request.</source>
        <translation>Demande d’évaluation du modèle nanny mal formée.</translation>
    </message>
</context>
<context>
    <name>mldeck::TorchTrainer</name>
    <message>
        <source>Training ran out of memory; try a smaller batch size or fewer training rows.</source>
        <translation>L’entraînement a manqué de mémoire ; essayez une taille de lot plus petite ou moins de lignes d’entraînement.</translation>
    </message>
    <message>
        <source>The %1 data has no numeric column &quot;%2&quot;, which model %3 needs.</source>
        <translation>Les données %1 n’ont pas de colonne numérique « %2 », dont le modèle %3 a besoin.</translation>
    </message>
    <message>
        <source>The %1 data has no categorical column &quot;%2&quot;, which model %3 needs.</source>
        <translation>Les données %1 n’ont pas de colonne catégorielle « %2 », dont le modèle %3 a besoin.</translation>
    </message>
    <message>
        <source>%1 data: %2</source>
        <translation>Données %1 : %2</translation>
    </message>
    <message>
        <source>%1 data: row %2 has a target that is not a finite float number.</source>
        <translation>Données %1 : la ligne %2 a une cible qui n’est pas un nombre flottant fini.</translation>
    </message>
    <message>
        <source>the model returned %1, not a tensor.</source>
        <translation>le modèle a renvoyé %1, pas un tenseur.</translation>
    </message>
    <message>
        <source>the model returned a tensor of shape %1, expected one value per row [%2].</source>
        <translation>le modèle a renvoyé un tenseur de forme %1, une valeur par ligne était attendue [%2].</translation>
    </message>
    <message>
        <source>%1 is not a TorchScript model file: %2</source>
        <translation>%1 n’est pas un fichier de modèle TorchScript : %2</translation>
    </message>
    <message>
        <source>Model %1 has no mldeck.json metadata: MLDeck needs its feature schema and scaler to train it.</source>
        <translation>Le modèle %1 n’a pas de métadonnées mldeck.json : MLDeck a besoin de son schéma de variables et de sa normalisation pour l’entraîner.</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>training</source>
        <translation>entraînement</translation>
    </message>
    <message>
        <source>validation</source>
        <translation>validation</translation>
    </message>
    <message>
        <source>Model %1 has no trainable parameters.</source>
        <translation>Le modèle %1 n’a aucun paramètre entraînable.</translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation>Modèle %1 : %2</translation>
    </message>
    <message>
        <source>training diverged: loss is %1 at epoch %2, batch %3; try a lower learning rate</source>
        <translation>l’entraînement a divergé : la perte vaut %1 à l’époque %2, lot %3 ; essayez un taux d’apprentissage plus faible</translation>
    </message>
    <message>
        <source>Model %1 (validation): %2</source>
        <translation>Modèle %1 (validation) : %2</translation>
    </message>
    <message>
        <source>training diverged: validation loss is %1 after epoch %2; try a lower learning rate</source>
        <translation>l’entraînement a divergé : la perte de validation vaut %1 après l’époque %2 ; essayez un taux d’apprentissage plus faible</translation>
    </message>
    <message>
        <source>Cannot write the trained model to %1: %2</source>
        <translation>Impossible d’écrire le modèle entraîné dans %1 : %2</translation>
    </message>
    <message>
        <source>The trained model does not load back: %1</source>
        <translation>Le modèle entraîné ne se recharge pas : %1</translation>
    </message>
    <message>
        <source>The trained model does not predict: %1</source>
        <translation>Le modèle entraîné ne prédit pas : %1</translation>
    </message>
    <message>
        <source>Cannot move the trained model to %1: %2</source>
        <translation>Impossible de déplacer le modèle entraîné vers %1 : %2</translation>
    </message>
    <message>
        <source>Training failed: %1</source>
        <translation>Échec de l’entraînement : %1</translation>
    </message>
    <message>
        <source>Training failed with an unknown error.</source>
        <translation>L’entraînement a échoué sur une erreur inconnue.</translation>
    </message>
    <message>
        <source>%1 data: row %2 has the label %3, which is not a class index of model %4 (0 to %5).</source>
        <translation>Données %1 : la ligne %2 a l’étiquette %3, qui n’est pas un indice de classe du modèle %4 (0 à %5).</translation>
    </message>
    <message>
        <source>the model returned a tensor of shape %1, expected one score per class [%2, %3].</source>
        <translation>le modèle a renvoyé un tenseur de forme %1, un score par classe était attendu [%2, %3].</translation>
    </message>
    <message numerus="yes">
        <source>%n class weight(s) given for a model with %1 classes.</source>
        <translation>
            <numerusform>%n poids de classe donné pour un modèle à %1 classes.</numerusform>
            <numerusform>%n poids de classe donnés pour un modèle à %1 classes.</numerusform>
        </translation>
    </message>
    <message>
        <source>Class weights apply to a classifier only; model %1 is a %2 model.</source>
        <translation>Les poids de classe ne s’appliquent qu’à un classifieur ; le modèle %1 est un modèle de type %2.</translation>
    </message>
</context>
<context>
    <name>mldeck::TrainingParams</name>
    <message>
        <source>Training parameter &quot;%1&quot; must be %2.</source>
        <translation>Le paramètre d’entraînement « %1 » doit être %2.</translation>
    </message>
    <message>
        <source>a whole number</source>
        <translation>un entier</translation>
    </message>
    <message>
        <source>a number</source>
        <translation>un nombre</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true ou false</translation>
    </message>
    <message>
        <source>a whole number from 0 to 18446744073709551615</source>
        <translation>un entier de 0 à 18446744073709551615</translation>
    </message>
    <message>
        <source>Epochs must be from 1 to 1000 (got %1).</source>
        <translation>Le nombre d’époques doit aller de 1 à 1000 (reçu %1).</translation>
    </message>
    <message>
        <source>The learning rate must be above 0 and at most 1 (got %1).</source>
        <translation>Le taux d’apprentissage doit être supérieur à 0 et au plus 1 (reçu %1).</translation>
    </message>
    <message>
        <source>The batch size must be from 1 to 65536 (got %1).</source>
        <translation>La taille de lot doit aller de 1 à 65536 (reçu %1).</translation>
    </message>
    <message>
        <source>The early-stopping patience must be 0 (off) or more (got %1).</source>
        <translation>La patience d’arrêt anticipé doit valoir 0 (désactivé) ou plus (reçu %1).</translation>
    </message>
    <message>
        <source>The plateau factor must be between 0 and 1, both excluded (got %1).</source>
        <translation>Le facteur de plateau doit être compris entre 0 et 1, exclus (reçu %1).</translation>
    </message>
    <message>
        <source>The plateau patience must be 0 (off) or more (got %1).</source>
        <translation>La patience de plateau doit valoir 0 (désactivé) ou plus (reçu %1).</translation>
    </message>
    <message>
        <source>Threads must be from 0 (keep the current setting) to 256 (got %1).</source>
        <translation>Le nombre de threads doit aller de 0 (garder le réglage actuel) à 256 (reçu %1).</translation>
    </message>
    <message>
        <source>&quot;balanced&quot; or a list of numbers, one per class</source>
        <translation>« balanced » ou une liste de nombres, un par classe</translation>
    </message>
    <message>
        <source>Class weights are either balanced or given, not both.</source>
        <translation>Les poids de classe sont soit équilibrés, soit donnés, pas les deux.</translation>
    </message>
    <message numerus="yes">
        <source>Class weights need one weight per class, 2 to 1000 (got %n).</source>
        <translation>
            <numerusform>Les poids de classe demandent un poids par classe, de 2 à 1000 (reçu %n).</numerusform>
            <numerusform>Les poids de classe demandent un poids par classe, de 2 à 1000 (reçu %n).</numerusform>
        </translation>
    </message>
    <message>
        <source>A class weight must be above 0 and at most 1000000 (got %1).</source>
        <translation>Un poids de classe doit être supérieur à 0 et au plus 1000000 (reçu %1).</translation>
    </message>
</context>
<context>
    <name>mldeck::WorkerServer</name>
    <message>
        <source>Usage: mldeck-model-worker --socket-fd FD [--memory-limit-mb MB]. MLDeck starts this program itself; it is not meant to be run by hand.</source>
        <translation>Usage : mldeck-model-worker --socket-fd FD [--memory-limit-mb Mo]. MLDeck démarre ce programme lui-même ; il n’est pas fait pour être lancé à la main.</translation>
    </message>
    <message>
        <source>Unknown request %1.</source>
        <translation>Requête inconnue %1.</translation>
    </message>
    <message>
        <source>out of memory</source>
        <translation>mémoire insuffisante</translation>
    </message>
    <message>
        <source>Malformed load request.</source>
        <translation>Requête de chargement mal formée.</translation>
    </message>
    <message>
        <source>Malformed prediction request.</source>
        <translation>Requête de prédiction mal formée.</translation>
    </message>
    <message>
        <source>No model is loaded in this worker.</source>
        <translation>Aucun modèle n’est chargé dans ce processus.</translation>
    </message>
    <message>
        <source>Malformed training request.</source>
        <translation>Requête d’entraînement mal formée.</translation>
    </message>
    <message>
        <source>Malformed nanny training request.</source>
        <translation>Demande d’entraînement du modèle nanny mal formée.</translation>
    </message>
    <message>
        <source>Malformed nanny scoring request.</source>
        <translation>Demande d’évaluation du modèle nanny mal formée.</translation>
    </message>
</context>
<context>
    <name>mldeck::cli</name>
    <message>
        <source>--rows is required (how many requests to generate).</source>
        <translation>--rows est obligatoire (nombre de requêtes à générer).</translation>
    </message>
    <message>
        <source>--rows must be a whole number from 1 to 100000000, not &quot;%1&quot;.</source>
        <translation>--rows doit être un entier de 1 à 100000000, pas « %1 ».</translation>
    </message>
    <message>
        <source>--out is required (the CSV file to write).</source>
        <translation>--out est obligatoire (le fichier CSV à écrire).</translation>
    </message>
    <message>
        <source>--seed must be a non-negative whole number, not &quot;%1&quot;.</source>
        <translation>--seed doit être un entier positif ou nul, pas « %1 ».</translation>
    </message>
    <message>
        <source>--start must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not &quot;%1&quot;.</source>
        <translation>--start doit être une date-heure ISO 8601 comme 2024-05-01T08:00:00Z, pas « %1 ».</translation>
    </message>
    <message>
        <source>--rate must be a number of requests per second above 0 and at most 1000000, not &quot;%1&quot;.</source>
        <translation>--rate doit être un nombre de requêtes par seconde supérieur à 0 et au plus 1000000, pas « %1 ».</translation>
    </message>
    <message>
        <source>--drift must be a number from 0 to 1, not &quot;%1&quot;.</source>
        <translation>--drift doit être un nombre de 0 à 1, pas « %1 ».</translation>
    </message>
    <message>
        <source>Number of requests to generate.</source>
        <translation>Nombre de requêtes à générer.</translation>
    </message>
    <message>
        <source>CSV file to write (replaced only when complete).</source>
        <translation>Fichier CSV à écrire (remplacé seulement une fois complet).</translation>
    </message>
    <message>
        <source>Random seed (default 42): the same seed gives the same file.</source>
        <translation>Graine aléatoire (42 par défaut) : la même graine donne le même fichier.</translation>
    </message>
    <message>
        <source>Time of the first request, ISO 8601 (default 2024-05-01T00:00:00Z; UTC when no offset).</source>
        <translation>Heure de la première requête, ISO 8601 (2024-05-01T00:00:00Z par défaut ; UTC sans décalage).</translation>
    </message>
    <message>
        <source>Requests per second: how fast the timestamps advance (default 1).</source>
        <translation>Requêtes par seconde : vitesse d’avancement des horodatages (1 par défaut).</translation>
    </message>
    <message>
        <source>Feature drift from 0 (none) to 1 (full scenario): wetter, colder, fewer drivers, another fleet mix.</source>
        <translation>Dérive des variables de 0 (aucune) à 1 (scénario complet) : plus de pluie, plus froid, moins de chauffeurs, une autre flotte.</translation>
    </message>
    <message>
        <source>Unexpected argument &quot;%1&quot;.</source>
        <translation>Argument inattendu « %1 ».</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
    <message>
        <source>Deployment name (default: %1).</source>
        <translation>Nom du déploiement (par défaut : %1).</translation>
    </message>
    <message>
        <source>ML enabled: 0 or 1.</source>
        <translation>ML activé : 0 ou 1.</translation>
    </message>
    <message>
        <source>Share of traffic routed to ML: whole number 0 to 100.</source>
        <translation>Part du trafic envoyée au ML : entier de 0 à 100.</translation>
    </message>
    <message>
        <source>Fall back to the heuristic when the model fails: 0 or 1.</source>
        <translation>Se replier sur l’heuristique quand le modèle échoue : 0 ou 1.</translation>
    </message>
    <message>
        <source>INVALID</source>
        <translation>NON VALIDE</translation>
    </message>
    <message>
        <source>state                   valid</source>
        <translation>état                    valide</translation>
    </message>
    <message>
        <source>state                   INVALID (%1): ML is OFF for every request until fixed</source>
        <translation>état                    NON VALIDE (%1) : le ML est COUPÉ pour toutes les requêtes jusqu’à correction</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucun</translation>
    </message>
    <message>
        <source>No flags for deployment &quot;%1&quot; in Redis at %2 (known: %3). Create them with &quot;mldeckctl flags init --deployment %1&quot;.</source>
        <translation>Aucun drapeau pour le déploiement « %1 » dans Redis sur %2 (connus : %3). Créez-les avec « mldeckctl flags init --deployment %1 ».</translation>
    </message>
    <message>
        <source>Show the flags of a deployment. Exit code 1 when the stored flags are invalid (ML is then off).</source>
        <translation>Affiche les drapeaux d’un déploiement. Code de sortie 1 quand les drapeaux enregistrés ne sont pas valides (le ML est alors coupé).</translation>
    </message>
    <message>
        <source>Only change the flags if they are still at this version (default: the version read just before).</source>
        <translation>Ne changer les drapeaux que s’ils sont encore à cette version (par défaut : la version lue juste avant).</translation>
    </message>
    <message>
        <source>Nothing to change: give --enabled, --percentage and/or --fallback.</source>
        <translation>Rien à changer : donnez --enabled, --percentage et/ou --fallback.</translation>
    </message>
    <message>
        <source>--expect-version must be a whole number &gt;= 0, not &quot;%1&quot;.</source>
        <translation>--expect-version doit être un entier &gt;= 0, pas « %1 ».</translation>
    </message>
    <message>
        <source>Create the flags of a deployment if they do not exist (version 1; unset values: ML off, 0 %, fallback on). Existing flags are left as they are.</source>
        <translation>Crée les drapeaux d’un déploiement s’ils n’existent pas (version 1 ; valeurs non données : ML coupé, 0 %, repli activé). Les drapeaux existants restent inchangés.</translation>
    </message>
    <message>
        <source>Flags of &quot;%1&quot; already exist; left unchanged.</source>
        <translation>Les drapeaux de « %1 » existent déjà ; inchangés.</translation>
    </message>
    <message>
        <source>Created the flags of &quot;%1&quot;.</source>
        <translation>Drapeaux de « %1 » créés.</translation>
    </message>
    <message>
        <source>Request key (booking id, user id); may be repeated.</source>
        <translation>Clé de requête (id de réservation, id d’utilisateur) ; peut être répétée.</translation>
    </message>
    <message>
        <source>Show the bucket (1-100) of request keys: a key goes to ML when ml_enabled is 1 and ml_traffic_percentage &gt;= its bucket. Needs no server.</source>
        <translation>Affiche le compartiment (1-100) de clés de requête : une clé va au ML quand ml_enabled vaut 1 et ml_traffic_percentage &gt;= son compartiment. Aucun serveur nécessaire.</translation>
    </message>
    <message>
        <source>Give at least one --key.</source>
        <translation>Donnez au moins une --key.</translation>
    </message>
    <message>
        <source>%1:%2 -&gt; bucket %3 (ML when ml_enabled=1 and ml_traffic_percentage &gt;= %3)</source>
        <translation>%1:%2 -&gt; compartiment %3 (ML quand ml_enabled=1 et ml_traffic_percentage &gt;= %3)</translation>
    </message>
    <message>
        <source>database &quot;%1&quot; has a schema &quot;mldeck&quot; that MLDeck did not create</source>
        <translation>la base « %1 » a un schéma « mldeck » que MLDeck n’a pas créé</translation>
    </message>
    <message>
        <source>database schema is version %1, this mldeckctl knows up to %2: upgrade MLDeck</source>
        <translation>le schéma de la base est en version %1, ce mldeckctl connaît jusqu’à la version %2 : mettez MLDeck à jour</translation>
    </message>
    <message>
        <source>applied migration step(s) differ from this mldeckctl: %1</source>
        <translation>les étapes de migration appliquées diffèrent de ce mldeckctl : %1</translation>
    </message>
    <message>
        <source>database: %1</source>
        <translation>base : %1</translation>
    </message>
    <message>
        <source>schema version: %1 (this mldeckctl knows up to %2)</source>
        <translation>version du schéma : %1 (ce mldeckctl connaît jusqu’à %2)</translation>
    </message>
    <message>
        <source>pending: none</source>
        <translation>en attente : aucune</translation>
    </message>
    <message>
        <source>pending: %1</source>
        <translation>en attente : %1</translation>
    </message>
    <message>
        <source>Only report the current, latest and pending schema versions (exit 1 when steps are pending).</source>
        <translation>Indique seulement les versions de schéma actuelle, la plus récente et en attente (sortie 1 si des étapes sont en attente).</translation>
    </message>
    <message>
        <source>Create or upgrade the mldeck schema in PostgreSQL.</source>
        <translation>Crée ou met à jour le schéma mldeck dans PostgreSQL.</translation>
    </message>
    <message>
        <source>unexpected argument &quot;%1&quot;</source>
        <translation>argument inattendu « %1 »</translation>
    </message>
    <message>
        <source>applied %1</source>
        <translation>%1 appliquée</translation>
    </message>
    <message>
        <source>schema is up to date (version %1) on %2</source>
        <translation>le schéma est à jour (version %1) sur %2</translation>
    </message>
    <message>
        <source>schema is now at version %1 on %2</source>
        <translation>le schéma est maintenant en version %1 sur %2</translation>
    </message>
    <message>
        <source>flags: none (ML off)</source>
        <translation>drapeaux : aucun (ML coupé)</translation>
    </message>
    <message>
        <source>flags: INVALID (%1) → ML off</source>
        <translation>drapeaux : NON VALIDES (%1) → ML coupé</translation>
    </message>
    <message>
        <source>flags v%1: ML %2 %3%</source>
        <translation>drapeaux v%1 : ML %2 %3%</translation>
    </message>
    <message>
        <source>on</source>
        <translation>activé</translation>
    </message>
    <message>
        <source>off</source>
        <translation>coupé</translation>
    </message>
    <message>
        <source>%1  %2 requests (%3/s)  ml %4  heuristic %5  fallback %6  failed %7 | written %8, outcomes %9, feedback %10, buffered %11 | %12</source>
        <translation>%1  %2 requêtes (%3/s)  ml %4  heuristique %5  repli %6  échecs %7 | écrites %8, résultats réels %9, retours %10, en tampon %11 | %12</translation>
    </message>
    <message>
        <source> | scenarios: %1</source>
        <translation> | scénarios : %1</translation>
    </message>
    <message>
        <source> | Redis: %1</source>
        <translation> | Redis : %1</translation>
    </message>
    <message>
        <source> | PostgreSQL: %1</source>
        <translation> | PostgreSQL : %1</translation>
    </message>
    <message>
        <source>Deployment to serve (default: eta).</source>
        <translation>Déploiement à servir (par défaut : eta).</translation>
    </message>
    <message>
        <source>Requests per second (default: 200).</source>
        <translation>Requêtes par seconde (par défaut : 200).</translation>
    </message>
    <message>
        <source>Stop after this long (e.g. 90s, 10m); default: until Ctrl-C.</source>
        <translation>S’arrêter après cette durée (par ex. 90s, 10m) ; par défaut : jusqu’à Ctrl-C.</translation>
    </message>
    <message>
        <source>Random seed (default: 42).</source>
        <translation>Graine aléatoire (par défaut : 42).</translation>
    </message>
    <message>
        <source>Mean delay before ground truth arrives (default: 20s).</source>
        <translation>Délai moyen avant l’arrivée de la vérité terrain (par défaut : 20s).</translation>
    </message>
    <message>
        <source>Create missing flags with ML on at this percentage (default: 25; -1: never create).</source>
        <translation>Créer les drapeaux manquants avec le ML activé à ce pourcentage (par défaut : 25 ; -1 : ne jamais créer).</translation>
    </message>
    <message>
        <source>Model inference threads (default: 1).</source>
        <translation>Threads d’inférence du modèle (par défaut : 1).</translation>
    </message>
    <message>
        <source>Print only the final summary.</source>
        <translation>N’afficher que le résumé final.</translation>
    </message>
    <message>
        <source>--rate must be a number of requests per second.</source>
        <translation>--rate doit être un nombre de requêtes par seconde.</translation>
    </message>
    <message>
        <source>--seed must be a non-negative integer.</source>
        <translation>--seed doit être un entier positif ou nul.</translation>
    </message>
    <message>
        <source>--initial-percentage must be an integer from -1 to 100.</source>
        <translation>--initial-percentage doit être un entier de -1 à 100.</translation>
    </message>
    <message>
        <source>--threads must be an integer from 1 to 64.</source>
        <translation>--threads doit être un entier de 1 à 64.</translation>
    </message>
    <message>
        <source>up</source>
        <translation>disponible</translation>
    </message>
    <message>
        <source>DOWN</source>
        <translation>INDISPONIBLE</translation>
    </message>
    <message>
        <source>%1 is unreachable: %2</source>
        <translation>%1 est injoignable : %2</translation>
    </message>
    <message>
        <source>%1 at %2 is unreachable: %3</source>
        <translation>%1 sur %2 est injoignable : %3</translation>
    </message>
    <message>
        <source>%1 rows from %2</source>
        <translation>%1 lignes de %2</translation>
    </message>
    <message>
        <source>%1: MAE %2, RMSE %3, R² %4, MAPE %5, %6 rows/s, p50 %7 ms, p99 %8 ms</source>
        <translation>%1 : MAE %2, RMSE %3, R² %4, MAPE %5, %6 lignes/s, p50 %7 ms, p99 %8 ms</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Remarque : %1</translation>
    </message>
    <message>
        <source>The model: a TorchScript file, DEPLOYMENT:champion, DEPLOYMENT:challenger or DEPLOYMENT@VERSION.</source>
        <translation>Le modèle : un fichier TorchScript, DEPLOYMENT:champion, DEPLOYMENT:challenger ou DEPLOYMENT@VERSION.</translation>
    </message>
    <message>
        <source>A model to compare (2 to 4 times; the first is the baseline): a file or a registry reference.</source>
        <translation>Un modèle à comparer (2 à 4 fois ; le premier sert de référence) : un fichier ou une référence du registre.</translation>
    </message>
    <message>
        <source>CSV file: header = column names.</source>
        <translation>Fichier CSV : en-tête = noms des colonnes.</translation>
    </message>
    <message>
        <source>Target column of the CSV (default: the model&apos;s, else delay_min).</source>
        <translation>Colonne cible du CSV (par défaut : celle du modèle, sinon delay_min).</translation>
    </message>
    <message>
        <source>Input columns, comma-separated (models without metadata).</source>
        <translation>Colonnes d’entrée, séparées par des virgules (modèles sans métadonnées).</translation>
    </message>
    <message>
        <source>Bootstrap seed (default 42).</source>
        <translation>Graine du bootstrap (42 par défaut).</translation>
    </message>
    <message>
        <source>Bootstrap resamples (default: 1000, fewer above 200000 rows).</source>
        <translation>Rééchantillonnages du bootstrap (par défaut : 1000, moins au-delà de 200000 lignes).</translation>
    </message>
    <message>
        <source>Use the logged predictions of this last period (e.g. 24h, 90m, 7d).</source>
        <translation>Utiliser les prédictions journalisées de cette dernière période (par ex. 24h, 90m, 7d).</translation>
    </message>
    <message>
        <source>Deployment of the window (default: the only one).</source>
        <translation>Déploiement de la période (par défaut : le seul existant).</translation>
    </message>
    <message>
        <source>Also write the report as CSV to this file.</source>
        <translation>Écrire aussi le rapport en CSV dans ce fichier.</translation>
    </message>
    <message>
        <source>Compares 2 to 4 models on exactly the same rows.</source>
        <translation>Compare 2 à 4 modèles sur exactement les mêmes lignes.</translation>
    </message>
    <message>
        <source>Give exactly one --model.</source>
        <translation>Donnez exactement un --model.</translation>
    </message>
    <message>
        <source>Give 2 to 4 --model options (got %1).</source>
        <translation>Donnez de 2 à 4 options --model (reçu %1).</translation>
    </message>
    <message>
        <source>--window must look like 24h, 90m, 7d or 3600s, not &quot;%1&quot;.</source>
        <translation>--window doit ressembler à 24h, 90m, 7d ou 3600s, pas « %1 ».</translation>
    </message>
    <message>
        <source>--features names no column.</source>
        <translation>--features ne nomme aucune colonne.</translation>
    </message>
    <message>
        <source>--threads must be a whole number from 1 to 256.</source>
        <translation>--threads doit être un entier de 1 à 256.</translation>
    </message>
    <message>
        <source>--seed must be a non-negative whole number.</source>
        <translation>--seed doit être un entier positif ou nul.</translation>
    </message>
    <message>
        <source>--resamples must be a whole number from 100 to 100000.</source>
        <translation>--resamples doit être un entier de 100 à 100000.</translation>
    </message>
    <message>
        <source>--share must be a number above 0 and at most 1, not &quot;%1&quot;.</source>
        <translation>--share doit être un nombre supérieur à 0 et au plus 1, pas « %1 ».</translation>
    </message>
    <message>
        <source>Deployment to check.</source>
        <translation>Déploiement à vérifier.</translation>
    </message>
    <message>
        <source>Current window, e.g. 10m (default: the deployment&apos;s setting, else 10m).</source>
        <translation>Fenêtre courante, par ex. 10m (par défaut : le réglage du déploiement, sinon 10m).</translation>
    </message>
    <message>
        <source>Share of drifting features that makes dataset drift (default 0.5).</source>
        <translation>Part des variables en dérive à partir de laquelle le jeu de données dérive (0.5 par défaut).</translation>
    </message>
    <message>
        <source>End of the current window, ISO 8601 (default: now).</source>
        <translation>Fin de la fenêtre courante, ISO 8601 (par défaut : maintenant).</translation>
    </message>
    <message>
        <source>--deployment is required.</source>
        <translation>--deployment est obligatoire.</translation>
    </message>
    <message>
        <source>--window: %1</source>
        <translation>--window : %1</translation>
    </message>
    <message>
        <source>--reference: %1</source>
        <translation>--reference : %1</translation>
    </message>
    <message>
        <source>--at must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not &quot;%1&quot;.</source>
        <translation>--at doit être une date-heure ISO 8601 comme 2024-05-01T08:00:00Z, pas « %1 ».</translation>
    </message>
    <message>
        <source>Deployment %1: window %2 to %3 against %4.</source>
        <translation>Déploiement %1 : fenêtre de %2 à %3 comparée à la référence : %4.</translation>
    </message>
    <message>
        <source>Reference CSV file (header line, one column per feature).</source>
        <translation>Fichier CSV de référence (ligne d’en-tête, une colonne par variable).</translation>
    </message>
    <message>
        <source>Current CSV file, same columns.</source>
        <translation>Fichier CSV courant, mêmes colonnes.</translation>
    </message>
    <message>
        <source>Comma-separated columns to leave out (default: ts,request_key).</source>
        <translation>Colonnes à exclure, séparées par des virgules (par défaut : ts,request_key).</translation>
    </message>
    <message>
        <source>Compares two data sets offline, feature by feature (a text column is categorical, a numeric column numeric). Exit code 1 when the dataset drifts.</source>
        <translation>Compare deux jeux de données hors ligne, variable par variable (une colonne texte est catégorielle, une colonne numérique est numérique). Code de sortie 1 quand le jeu de données dérive.</translation>
    </message>
    <message>
        <source>--reference and --current are both required.</source>
        <translation>--reference et --current sont tous deux obligatoires.</translation>
    </message>
    <message>
        <source>Column &quot;%1&quot; of %2 is not in %3.</source>
        <translation>La colonne « %1 » de %2 n’est pas dans %3.</translation>
    </message>
    <message>
        <source>Column &quot;%1&quot; is numeric in one file and text in the other.</source>
        <translation>La colonne « %1 » est numérique dans un fichier et texte dans l’autre.</translation>
    </message>
    <message>
        <source>Usage: mldeckctl drift check --deployment D [--window 10m] [--reference SPEC] [--json]</source>
        <translation>Usage : mldeckctl drift check --deployment D [--window 10m] [--reference SPEC] [--json]</translation>
    </message>
    <message>
        <source>       mldeckctl drift compare --reference A.csv --current B.csv [--json]</source>
        <translation>       mldeckctl drift compare --reference A.csv --current B.csv [--json]</translation>
    </message>
    <message>
        <source>Why (recorded in the audit log).</source>
        <translation>Pourquoi (consigné dans le journal d’audit).</translation>
    </message>
    <message>
        <source>Change the flags of a deployment (compare-and-set on the version, audited). Exit code 1 when someone else changed them in between.</source>
        <translation>Change les drapeaux d’un déploiement (comparer-et-écrire sur la version, audité). Code de sortie 1 si quelqu’un d’autre les a changés entre-temps.</translation>
    </message>
    <message>
        <source>Share of traffic routed to ML: whole number 0 to 100 (default: unchanged).</source>
        <translation>Part du trafic envoyée au ML : entier de 0 à 100 (par défaut : inchangée).</translation>
    </message>
    <message>
        <source>Turn ML on (optionally at a percentage); audited.</source>
        <translation>Active le ML (éventuellement à un pourcentage donné) ; audité.</translation>
    </message>
    <message>
        <source>Turn ML off (the percentage is kept); audited. For an emergency use &quot;flags rollback&quot;, which always wins.</source>
        <translation>Coupe le ML (le pourcentage est conservé) ; audité. En cas d’urgence, utilisez « flags rollback », qui l’emporte toujours.</translation>
    </message>
    <message>
        <source>Emergency rollback: ML off and 0 % at once, whatever anyone else is doing. Works while PostgreSQL is down (the audit row is kept locally and written later).</source>
        <translation>Retour arrière d’urgence : ML coupé et 0 % d’un coup, quoi que fassent les autres. Fonctionne même quand PostgreSQL est indisponible (la ligne d’audit est conservée localement et écrite plus tard).</translation>
    </message>
    <message>
        <source>Usage: mldeckctl flags &lt;status|set|enable|disable|rollback|init|bucket&gt; [options]   (mldeckctl flags &lt;sub&gt; --help)

  status   show the flags of a deployment
  set      change them (compare-and-set on the version, audited)
  enable   turn ML on [--percentage N]
  disable  turn ML off
  rollback emergency: ML off and 0 %, always wins
  init     create them if they do not exist
  bucket   show the bucket of request keys</source>
        <translation>Usage : mldeckctl flags &lt;status|set|enable|disable|rollback|init|bucket&gt; [options]   (mldeckctl flags &lt;sous-commande&gt; --help)

  status   affiche les drapeaux d’un déploiement
  set      les modifie (comparer-et-écrire sur la version, audité)
  enable   active le ML [--percentage N]
  disable  coupe le ML
  rollback urgence : ML coupé et 0 %, l’emporte toujours
  init     les crée s’ils n’existent pas
  bucket   affiche le compartiment de clés de requête</translation>
    </message>
    <message>
        <source>Deployment to re-arm.</source>
        <translation>Déploiement à réarmer.</translation>
    </message>
    <message>
        <source>Why the guard may act again (required, audited).</source>
        <translation>Pourquoi la garde peut agir à nouveau (obligatoire, audité).</translation>
    </message>
    <message>
        <source>Re-arm a latched guard so that it may act again (audited).</source>
        <translation>Réarme une garde verrouillée pour qu’elle puisse agir à nouveau (audité).</translation>
    </message>
    <message>
        <source>Give --deployment with a valid deployment name (got &quot;%1&quot;).</source>
        <translation>Donnez --deployment avec un nom de déploiement valide (reçu « %1 »).</translation>
    </message>
    <message>
        <source>Give --reason: re-arming the guard is audited and needs a reason.</source>
        <translation>Donnez --reason : le réarmement de la garde est audité et demande un motif.</translation>
    </message>
    <message>
        <source>The guard was re-armed but the audit row could not be written: %1</source>
        <translation>La garde a été réarmée mais la ligne d’audit n’a pas pu être écrite : %1</translation>
    </message>
    <message>
        <source>Guard of &quot;%1&quot; re-armed (it was latched on %2: %3).</source>
        <translation>Garde de « %1 » réarmée (elle était verrouillée le %2 : %3).</translation>
    </message>
    <message>
        <source>Guard of &quot;%1&quot; was not latched; streaks cleared.</source>
        <translation>La garde de « %1 » n’était pas verrouillée ; séries remises à zéro.</translation>
    </message>
    <message>
        <source>Guard only this deployment (repeatable; default: all).</source>
        <translation>Surveiller seulement ce déploiement (répétable ; par défaut : tous).</translation>
    </message>
    <message>
        <source>Run one round and exit (exit code 1 when not the leader or a check failed).</source>
        <translation>Exécuter un seul tour puis quitter (code de sortie 1 si ce n’est pas le leader ou si une vérification a échoué).</translation>
    </message>
    <message>
        <source>Time between rounds, e.g. 5s, 500ms, 1m (default 5s).</source>
        <translation>Temps entre deux tours, par ex. 5s, 500ms, 1m (5s par défaut).</translation>
    </message>
    <message>
        <source>Leader-election scope: guards with the same scope elect one leader.</source>
        <translation>Portée de l’élection du leader : les gardes de même portée élisent un seul leader.</translation>
    </message>
    <message>
        <source>Run the automatic guard (&quot;mldeckctl guard rearm --deployment D --reason R&quot; re-arms a latched one). Only the elected leader acts; Ctrl-C stops.</source>
        <translation>Lance la garde automatique (« mldeckctl guard rearm --deployment D --reason R » réarme une garde verrouillée). Seul le leader élu agit ; Ctrl-C arrête.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation>« %1 » n’est pas un nom de déploiement valide.</translation>
    </message>
    <message>
        <source>--interval must be a time from 100ms to 60m such as 5s, not &quot;%1&quot;.</source>
        <translation>--interval doit être une durée de 100ms à 60m comme 5s, pas « %1 ».</translation>
    </message>
    <message>
        <source>guard running every %1 ms (scope &quot;%2&quot;); Ctrl-C stops</source>
        <translation>garde en marche toutes les %1 ms (portée « %2 ») ; Ctrl-C arrête</translation>
    </message>
    <message>
        <source>archived</source>
        <translation>archivé</translation>
    </message>
    <message>
        <source>%1@%2  %3  %4</source>
        <translation>%1@%2  %3  %4</translation>
    </message>
    <message>
        <source>  task        %1 (target unit: %2)</source>
        <translation>  tâche       %1 (unité de la cible : %2)</translation>
    </message>
    <message>
        <source>  sha256      %1</source>
        <translation>  sha256      %1</translation>
    </message>
    <message>
        <source>  file        %1</source>
        <translation>  fichier     %1</translation>
    </message>
    <message>
        <source>  created     %1 by %2</source>
        <translation>  créé        %1 par %2</translation>
    </message>
    <message>
        <source>  features    %1</source>
        <translation>  variables   %1</translation>
    </message>
    <message>
        <source>(no metadata)</source>
        <translation>(pas de métadonnées)</translation>
    </message>
    <message>
        <source>  metrics     MAE %1  RMSE %2  R² %3</source>
        <translation>  métriques   MAE %1  RMSE %2  R² %3</translation>
    </message>
    <message>
        <source>  parent      %1</source>
        <translation>  parent      %1</translation>
    </message>
    <message>
        <source>  trained on  %1 .. %2</source>
        <translation>  entraîné    %1 .. %2</translation>
    </message>
    <message>
        <source>The TorchScript model file to register.</source>
        <translation>Le fichier de modèle TorchScript à enregistrer.</translation>
    </message>
    <message>
        <source>Model name (default: from the metadata, else the file name).</source>
        <translation>Nom du modèle (par défaut : celui des métadonnées, sinon le nom du fichier).</translation>
    </message>
    <message>
        <source>Version (default: the next whole number of the deployment).</source>
        <translation>Version (par défaut : le nombre entier suivant du déploiement).</translation>
    </message>
    <message>
        <source>Version this model was retrained from.</source>
        <translation>Version dont ce modèle est un réentraînement.</translation>
    </message>
    <message>
        <source>Start of the training data window (ISO 8601).</source>
        <translation>Début de la fenêtre des données d’entraînement (ISO 8601).</translation>
    </message>
    <message>
        <source>End of the training data window (ISO 8601).</source>
        <translation>Fin de la fenêtre des données d’entraînement (ISO 8601).</translation>
    </message>
    <message>
        <source>Model store directory (default: MLDECK_MODEL_STORE, else %1).</source>
        <translation>Répertoire du magasin de modèles (par défaut : MLDECK_MODEL_STORE, sinon %1).</translation>
    </message>
    <message>
        <source>Validate a TorchScript file, copy it into the model store and register it.</source>
        <translation>Valide un fichier TorchScript, le copie dans le magasin de modèles et l’enregistre.</translation>
    </message>
    <message>
        <source>give exactly one model file to register</source>
        <translation>donnez exactement un fichier de modèle à enregistrer</translation>
    </message>
    <message>
        <source>--%1: &quot;%2&quot; is not an ISO 8601 date or time</source>
        <translation>--%1 : « %2 » n’est pas une date ou une heure ISO 8601</translation>
    </message>
    <message>
        <source>This file is already registered as %1@%2; nothing changed.</source>
        <translation>Ce fichier est déjà enregistré en tant que %1@%2 ; rien n’a changé.</translation>
    </message>
    <message>
        <source>Registered %1@%2.</source>
        <translation>%1@%2 enregistré.</translation>
    </message>
    <message>
        <source>Note: the file has no mldeck.json metadata; its features could not be checked against the deployment&apos;s schema.</source>
        <translation>Remarque : le fichier n’a pas de métadonnées mldeck.json ; ses variables n’ont pas pu être vérifiées par rapport au schéma du déploiement.</translation>
    </message>
    <message>
        <source>Include archived versions.</source>
        <translation>Inclure les versions archivées.</translation>
    </message>
    <message>
        <source>List the registered model versions of a deployment.</source>
        <translation>Liste les versions de modèle enregistrées d’un déploiement.</translation>
    </message>
    <message>
        <source>Unknown deployment &quot;%1&quot;.</source>
        <translation>Déploiement « %1 » inconnu.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no registered models.</source>
        <translation>Le déploiement « %1 » n’a aucun modèle enregistré.</translation>
    </message>
    <message>
        <source>VERSION  NAME                 TASK            MAE     R²      CREATED               ALIASES</source>
        <translation>VERSION  NOM                  TÂCHE           MAE     R²      CRÉÉE LE              ALIAS</translation>
    </message>
    <message>
        <source>The version to show, or champion / challenger.</source>
        <translation>La version à afficher, ou champion / challenger.</translation>
    </message>
    <message>
        <source>Show one registered model version.</source>
        <translation>Affiche une version de modèle enregistrée.</translation>
    </message>
    <message>
        <source>give exactly one version (or champion / challenger)</source>
        <translation>donnez exactement une version (ou champion / challenger)</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no %2 model.</source>
        <translation>Le déploiement « %1 » n’a pas de modèle %2.</translation>
    </message>
    <message>
        <source>%1@%2 is now the %3 (was: %4; audit change %5).</source>
        <translation>%1@%2 est maintenant %3 (avant : %4 ; changement d’audit %5).</translation>
    </message>
    <message>
        <source>Published in Redis: %1</source>
        <translation>Publié dans Redis : %1</translation>
    </message>
    <message>
        <source>The version to promote.</source>
        <translation>La version à promouvoir.</translation>
    </message>
    <message>
        <source>champion (default) or challenger.</source>
        <translation>champion (par défaut) ou challenger.</translation>
    </message>
    <message>
        <source>Why (kept in the audit log).</source>
        <translation>Motif (conservé dans le journal d’audit).</translation>
    </message>
    <message>
        <source>Point the champion or challenger alias at a version (audited), then publish the champion in Redis.</source>
        <translation>Fait pointer l’alias champion ou challenger sur une version (audité), puis publie le champion dans Redis.</translation>
    </message>
    <message>
        <source>give exactly one version to promote</source>
        <translation>donnez exactement une version à promouvoir</translation>
    </message>
    <message>
        <source>--alias must be champion or challenger, not &quot;%1&quot;</source>
        <translation>--alias doit valoir champion ou challenger, pas « %1 »</translation>
    </message>
    <message>
        <source>Make the previous champion the champion again (audited), then publish it.</source>
        <translation>Redonne le rôle de champion au champion précédent (audité), puis le publie.</translation>
    </message>
    <message>
        <source>The version to archive.</source>
        <translation>La version à archiver.</translation>
    </message>
    <message>
        <source>Archive a version (never the champion; audited).</source>
        <translation>Archive une version (jamais le champion ; audité).</translation>
    </message>
    <message>
        <source>give exactly one version to archive</source>
        <translation>donnez exactement une version à archiver</translation>
    </message>
    <message>
        <source>Archived %1@%2.</source>
        <translation>%1@%2 archivé.</translation>
    </message>
    <message>
        <source>Publish the deployment&apos;s champion (from PostgreSQL) in Redis again.</source>
        <translation>Publie à nouveau dans Redis le champion du déploiement (lu dans PostgreSQL).</translation>
    </message>
    <message>
        <source>Publishing the champion of &quot;%1&quot; in Redis failed: %2</source>
        <translation>La publication du champion de « %1 » dans Redis a échoué : %2</translation>
    </message>
    <message>
        <source>Published %1@%2 as champion in %3.</source>
        <translation>%1@%2 publié comme champion dans %3.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no champion; %2 was cleared.</source>
        <translation>Le déploiement « %1 » n’a pas de champion ; la clé %2 a été effacée.</translation>
    </message>
    <message>
        <source>plan of &quot;%1&quot;: %2</source>
        <translation>plan de « %1 » : %2</translation>
    </message>
    <message>
        <source>not started</source>
        <translation>pas commencé</translation>
    </message>
    <message>
        <source>step %1 since %2</source>
        <translation>étape %1 depuis %2</translation>
    </message>
    <message>
        <source>can advance</source>
        <translation>peut avancer</translation>
    </message>
    <message>
        <source>cannot advance (gates failing, or last step)</source>
        <translation>ne peut pas avancer (critères non satisfaits, ou dernière étape)</translation>
    </message>
    <message>
        <source>Usage: mldeckctl plan &lt;show|advance|set&gt; [options]   (mldeckctl plan &lt;sub&gt; --help)

  show     the plan, the current step and every gate, live
  advance  move to the next step when all gates pass [--override-reason R]
  set      store the plan: --steps 10,25,50,100 and gates</source>
        <translation>Usage : mldeckctl plan &lt;show|advance|set&gt; [options]   (mldeckctl plan &lt;sous-commande&gt; --help)

  show     le plan, l’étape courante et chaque critère, en direct
  advance  passe à l’étape suivante quand tous les critères sont satisfaits [--override-reason R]
  set      enregistre le plan : --steps 10,25,50,100 et critères</translation>
    </message>
    <message>
        <source>Show the staged plan with live gates.</source>
        <translation>Affiche le plan par étapes avec ses critères en direct.</translation>
    </message>
    <message>
        <source>Advance although gates fail (audited as an override).</source>
        <translation>Avancer même si des critères ne sont pas satisfaits (audité comme dérogation).</translation>
    </message>
    <message>
        <source>Advance to the next step (sets the percentage, audited) when all gates pass.</source>
        <translation>Passe à l’étape suivante (règle le pourcentage, audité) quand tous les critères sont satisfaits.</translation>
    </message>
    <message>
        <source>An override needs a non-empty reason.</source>
        <translation>Une dérogation demande un motif non vide.</translation>
    </message>
    <message>
        <source>Minimum ML samples in the step.</source>
        <translation>Nombre minimal d’échantillons ML dans l’étape.</translation>
    </message>
    <message>
        <source>Minimum time in the step, seconds.</source>
        <translation>Durée minimale dans l’étape, en secondes.</translation>
    </message>
    <message>
        <source>MAE at most.</source>
        <translation>MAE au plus.</translation>
    </message>
    <message>
        <source>R² at least.</source>
        <translation>R² au moins.</translation>
    </message>
    <message>
        <source>Latency p95 at most, ms.</source>
        <translation>Latence p95 au plus, en ms.</translation>
    </message>
    <message>
        <source>Error rate at most, share 0..1.</source>
        <translation>Taux d’erreur au plus, proportion 0..1.</translation>
    </message>
    <message>
        <source>Percentages in order, e.g. 10,25,50,100.</source>
        <translation>Pourcentages dans l’ordre, par ex. 10,25,50,100.</translation>
    </message>
    <message>
        <source>Store the staged plan (validated; audited).</source>
        <translation>Enregistre le plan par étapes (validé ; audité).</translation>
    </message>
    <message>
        <source>--%1 must be a number, not &quot;%2&quot;.</source>
        <translation>--%1 doit être un nombre, pas « %2 ».</translation>
    </message>
    <message>
        <source>unknown plan command &quot;%1&quot;</source>
        <translation>commande plan « %1 » inconnue</translation>
    </message>
    <message>
        <source>Deployment (default: eta).</source>
        <translation>Déploiement (par défaut : eta).</translation>
    </message>
    <message>
        <source>Turn ML off above this failure rate (0 to 1).</source>
        <translation>Couper le ML au-delà de ce taux d’échec (0 à 1).</translation>
    </message>
    <message>
        <source>Halve the percentage above this latency p95 (ms).</source>
        <translation>Diviser le pourcentage par deux au-delà de cette latence p95 (ms).</translation>
    </message>
    <message>
        <source>Halve the percentage above this MAE.</source>
        <translation>Diviser le pourcentage par deux au-delà de cette MAE.</translation>
    </message>
    <message>
        <source>Act only on at least this many samples.</source>
        <translation>N’agir qu’à partir de ce nombre d’échantillons.</translation>
    </message>
    <message>
        <source>Act only after this many consecutive breaches.</source>
        <translation>N’agir qu’après ce nombre de dépassements consécutifs.</translation>
    </message>
    <message>
        <source>Sliding window in seconds.</source>
        <translation>Fenêtre glissante en secondes.</translation>
    </message>
    <message>
        <source>1: the guard acts on this deployment; 0: it only watches.</source>
        <translation>1 : la garde agit sur ce déploiement ; 0 : elle se contente de surveiller.</translation>
    </message>
    <message>
        <source>Why (required for a change, audited).</source>
        <translation>Motif (obligatoire pour un changement, audité).</translation>
    </message>
    <message>
        <source>Show the guard&apos;s rules of a deployment, or change them (audited).</source>
        <translation>Affiche les règles de la garde d’un déploiement, ou les modifie (audité).</translation>
    </message>
    <message>
        <source>--enabled must be 0 or 1, not &quot;%1&quot;.</source>
        <translation>--enabled doit valoir 0 ou 1, pas « %1 ».</translation>
    </message>
    <message>
        <source>Give --reason: changing the guard&apos;s rules is audited and needs a reason.</source>
        <translation>Donnez --reason : la modification des règles de la garde est auditée et demande un motif.</translation>
    </message>
    <message>
        <source>Guard rules of &quot;%1&quot;%2:</source>
        <translation>Règles de la garde de « %1 »%2 :</translation>
    </message>
    <message>
        <source> (changed)</source>
        <translation> (modifiées)</translation>
    </message>
    <message>
        <source>  acts: %1; window %2 s; at least %3 samples; after %4 consecutive breaches</source>
        <translation>  agit : %1 ; fenêtre %2 s ; au moins %3 échantillons ; après %4 dépassements consécutifs</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>oui</translation>
    </message>
    <message>
        <source>no (watch only)</source>
        <translation>non (surveillance seule)</translation>
    </message>
    <message>
        <source>  ML off above a failure rate of %1; percentage halved above latency p95 %2 ms or MAE %3</source>
        <translation>  ML coupé au-delà d’un taux d’échec de %1 ; pourcentage divisé par deux au-delà d’une latence p95 de %2 ms ou d’une MAE de %3</translation>
    </message>
    <message>
        <source>Only this deployment (default: every deployment).</source>
        <translation>Seulement ce déploiement (par défaut : tous les déploiements).</translation>
    </message>
    <message>
        <source>Include resolved alerts.</source>
        <translation>Inclure les alertes résolues.</translation>
    </message>
    <message>
        <source>At most this many alerts (default 200).</source>
        <translation>Au plus ce nombre d’alertes (200 par défaut).</translation>
    </message>
    <message>
        <source>Lists open alerts (KPI rules, drift, guardrails), newest first.</source>
        <translation>Liste les alertes ouvertes (règles d’indicateurs, dérive, garde-fous), les plus récentes d’abord.</translation>
    </message>
    <message>
        <source>--limit must be a positive whole number.</source>
        <translation>--limit doit être un entier positif.</translation>
    </message>
    <message>
        <source>No alerts.</source>
        <translation>Aucune alerte.</translation>
    </message>
    <message>
        <source>The alert id (see alerts list).</source>
        <translation>L’identifiant de l’alerte (voir alerts list).</translation>
    </message>
    <message>
        <source>Acknowledges an alert (audited).</source>
        <translation>Acquitte une alerte (audité).</translation>
    </message>
    <message>
        <source>Give one alert id, a positive number.</source>
        <translation>Donnez un identifiant d’alerte, un nombre positif.</translation>
    </message>
    <message>
        <source>Alert %1 acknowledged.</source>
        <translation>Alerte %1 acquittée.</translation>
    </message>
    <message>
        <source>End of the silence, ISO 8601 (e.g. 2024-05-01T18:00:00Z).</source>
        <translation>Fin du silence, ISO 8601 (par ex. 2024-05-01T18:00:00Z).</translation>
    </message>
    <message>
        <source>Length of the silence, e.g. 30m, 2h, 1d.</source>
        <translation>Durée du silence, par ex. 30m, 2h, 1d.</translation>
    </message>
    <message>
        <source>Lift the silence.</source>
        <translation>Lever le silence.</translation>
    </message>
    <message>
        <source>Silences an alert until a time: no webhook while silenced (audited).</source>
        <translation>Met une alerte en silence jusqu’à une heure donnée : aucun webhook pendant le silence (audité).</translation>
    </message>
    <message>
        <source>Give exactly one of --until, --for or --off.</source>
        <translation>Donnez exactement une option parmi --until, --for et --off.</translation>
    </message>
    <message>
        <source>--until must be an ISO 8601 date-time such as 2024-05-01T18:00:00Z, not &quot;%1&quot;.</source>
        <translation>--until doit être une date-heure ISO 8601 comme 2024-05-01T18:00:00Z, pas « %1 ».</translation>
    </message>
    <message>
        <source>--for must be a duration such as 30m, 2h or 1d, not &quot;%1&quot;.</source>
        <translation>--for doit être une durée comme 30m, 2h ou 1d, pas « %1 ».</translation>
    </message>
    <message>
        <source>Alert %1 silenced until %2.</source>
        <translation>Alerte %1 mise en silence jusqu’à %2.</translation>
    </message>
    <message>
        <source>Alert %1 is no longer silenced.</source>
        <translation>L’alerte %1 n’est plus en silence.</translation>
    </message>
    <message>
        <source>Shows a deployment&apos;s KPI alert rules and where each stands.</source>
        <translation>Affiche les règles d’alerte d’indicateurs d’un déploiement et l’état de chacune.</translation>
    </message>
    <message>
        <source> since %1</source>
        <translation> depuis %1</translation>
    </message>
    <message>
        <source>last %1</source>
        <translation>dernière valeur %1</translation>
    </message>
    <message>
        <source>Threshold (failure rate as a share: 0.2 = 20 %; latency in ms).</source>
        <translation>Seuil (taux d’échec en proportion : 0.2 = 20 % ; latence en ms).</translation>
    </message>
    <message>
        <source>&quot;&gt;&quot; or &quot;&lt;&quot;.</source>
        <translation>« &gt; » ou « &lt; ».</translation>
    </message>
    <message>
        <source>Pending period in seconds before firing.</source>
        <translation>Délai d’attente en secondes avant le déclenchement.</translation>
    </message>
    <message>
        <source>Window in seconds the figure is computed over.</source>
        <translation>Fenêtre en secondes sur laquelle la valeur est calculée.</translation>
    </message>
    <message>
        <source>info, warning or critical.</source>
        <translation>info, warning ou critical.</translation>
    </message>
    <message>
        <source>Turn the rule on.</source>
        <translation>Activer la règle.</translation>
    </message>
    <message>
        <source>Turn the rule off (a firing alert resolves).</source>
        <translation>Désactiver la règle (une alerte déclenchée est résolue).</translation>
    </message>
    <message>
        <source>Forget this deployment&apos;s changes: back to the built-in default.</source>
        <translation>Oublier les modifications de ce déploiement : retour à la valeur intégrée par défaut.</translation>
    </message>
    <message>
        <source>Changes one KPI alert rule of a deployment (audited).</source>
        <translation>Modifie une règle d’alerte d’indicateurs d’un déploiement (audité).</translation>
    </message>
    <message>
        <source>--rule is required.</source>
        <translation>--rule est obligatoire.</translation>
    </message>
    <message>
        <source>--enable and --disable exclude each other.</source>
        <translation>--enable et --disable s’excluent mutuellement.</translation>
    </message>
    <message>
        <source>Rule %1 of %2 is back to its default.</source>
        <translation>La règle %1 de %2 est revenue à sa valeur par défaut.</translation>
    </message>
    <message>
        <source>Rule %1 of %2 had no changes.</source>
        <translation>La règle %1 de %2 n’avait aucune modification.</translation>
    </message>
    <message>
        <source>Deployment %1 has no rule &quot;%2&quot;: give --metric to add one.</source>
        <translation>Le déploiement %1 n’a pas de règle « %2 » : donnez --metric pour en ajouter une.</translation>
    </message>
    <message>
        <source>Rule %1 watches %2; its metric cannot change (add a rule with another id).</source>
        <translation>La règle %1 surveille %2 ; sa métrique ne peut pas changer (ajoutez une règle avec un autre identifiant).</translation>
    </message>
    <message>
        <source>--%1 must be a %2, not &quot;%3&quot;.</source>
        <translation>--%1 doit être un %2, pas « %3 ».</translation>
    </message>
    <message>
        <source>whole number</source>
        <translation>entier</translation>
    </message>
    <message>
        <source>number</source>
        <translation>nombre</translation>
    </message>
    <message>
        <source>Rule %1 of %2: %3 (%4).</source>
        <translation>Règle %1 de %2 : %3 (%4).</translation>
    </message>
    <message>
        <source>Turn the webhook off (the URL is kept).</source>
        <translation>Désactiver le webhook (l’URL est conservée).</translation>
    </message>
    <message>
        <source>http(s) address that receives the JSON POST (e.g. a Slack incoming webhook).</source>
        <translation>Adresse http(s) qui reçoit le POST JSON (par ex. un webhook entrant Slack).</translation>
    </message>
    <message>
        <source>Sets (or turns off) the alert webhook of a deployment (audited).</source>
        <translation>Définit (ou désactive) le webhook d’alerte d’un déploiement (audité).</translation>
    </message>
    <message>
        <source>Give either one URL or --off.</source>
        <translation>Donnez soit une URL, soit --off.</translation>
    </message>
    <message>
        <source>Webhook of %1 turned off.</source>
        <translation>Webhook de %1 désactivé.</translation>
    </message>
    <message>
        <source>Webhook of %1 set to %2.</source>
        <translation>Webhook de %1 défini sur %2.</translation>
    </message>
    <message>
        <source>Sends a test notification to the deployment&apos;s webhook (with retries) and records it. Exit code 1 when it was not delivered.</source>
        <translation>Envoie une notification de test au webhook du déploiement (avec nouvelles tentatives) et l’enregistre. Code de sortie 1 si elle n’a pas été remise.</translation>
    </message>
    <message>
        <source>Deployment %1 has no webhook: set one with &quot;mldeckctl alerts webhook set&quot;.</source>
        <translation>Le déploiement %1 n’a pas de webhook : définissez-en un avec « mldeckctl alerts webhook set ».</translation>
    </message>
    <message>
        <source>Webhook test</source>
        <translation>Test du webhook</translation>
    </message>
    <message>
        <source>attempt %1: %2 (%3 ms)</source>
        <translation>tentative %1 : %2 (%3 ms)</translation>
    </message>
    <message>
        <source>delivered, HTTP %1</source>
        <translation>remise, HTTP %1</translation>
    </message>
    <message>
        <source>Note: this webhook is turned off; alerts do not use it.</source>
        <translation>Remarque : ce webhook est désactivé ; les alertes ne l’utilisent pas.</translation>
    </message>
    <message>
        <source>Usage: mldeckctl alerts webhook set --deployment D URL | --off
       mldeckctl alerts webhook test --deployment D</source>
        <translation>Usage : mldeckctl alerts webhook set --deployment D URL | --off
        mldeckctl alerts webhook test --deployment D</translation>
    </message>
    <message>
        <source>Delete feedback older than N days (default: the deployment&apos;s retention, 180 days unless changed).</source>
        <translation>Supprimer les retours de plus de N jours (par défaut : la conservation du déploiement, 180 jours sauf modification).</translation>
    </message>
    <message>
        <source>Count what would be deleted; delete nothing.</source>
        <translation>Compter ce qui serait supprimé ; ne rien supprimer.</translation>
    </message>
    <message>
        <source>Delete old user feedback (retention; audited as feedback.purge).</source>
        <translation>Supprime les anciens retours utilisateurs (conservation ; audité comme feedback.purge).</translation>
    </message>
    <message>
        <source>--older-than-days: &quot;%1&quot; is not a whole number from 1 to 3650</source>
        <translation>--older-than-days : « %1 » n’est pas un entier de 1 à 3650</translation>
    </message>
    <message numerus="yes">
        <source>%n feedback items of &quot;%1&quot; are older than %2 days and would be deleted.</source>
        <translation>
            <numerusform>%n retour de « %1 » a plus de %2 jours et serait supprimé.</numerusform>
            <numerusform>%n retours de « %1 » ont plus de %2 jours et seraient supprimés.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n feedback items of &quot;%1&quot; older than %2 days.</source>
        <translation>
            <numerusform>%n retour de « %1 » de plus de %2 jours supprimé.</numerusform>
            <numerusform>%n retours de « %1 » de plus de %2 jours supprimés.</numerusform>
        </translation>
    </message>
    <message>
        <source>Usage: mldeckctl feedback purge [--deployment D] [--older-than-days N] [--dry-run] [--json]

  purge    delete user feedback older than the retention (default 180 days); audited</source>
        <translation>Usage : mldeckctl feedback purge [--deployment D] [--older-than-days N] [--dry-run] [--json]

  purge    supprimer les retours utilisateurs plus anciens que la durée de conservation (180 jours par défaut) ; audité</translation>
    </message>
    <message>
        <source>stretch %1</source>
        <translation>ambitieux %1</translation>
    </message>
    <message>
        <source> OK</source>
        <translation> OK</translation>
    </message>
    <message>
        <source> FAIL</source>
        <translation> ÉCHEC</translation>
    </message>
    <message>
        <source>Figure</source>
        <translation>Indicateur</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Objectif</translation>
    </message>
    <message>
        <source>--%1 must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not &quot;%2&quot;.</source>
        <translation>--%1 doit être une date-heure ISO 8601 comme 2024-05-01T08:00:00Z, pas « %2 ».</translation>
    </message>
    <message>
        <source>Deployment to report on.</source>
        <translation>Déploiement sur lequel porte le rapport.</translation>
    </message>
    <message>
        <source>Range ending now: 15m, 1h, 24h, 7d, 30d or any N followed by m, h or d (default 1h).</source>
        <translation>Plage se terminant maintenant : 15m, 1h, 24h, 7d, 30d ou tout N suivi de m, h ou d (1h par défaut).</translation>
    </message>
    <message>
        <source>Start of a custom range, ISO 8601 (with --to).</source>
        <translation>Début d’une plage personnalisée, ISO 8601 (avec --to).</translation>
    </message>
    <message>
        <source>End of a custom range, ISO 8601 (with --from).</source>
        <translation>Fin d’une plage personnalisée, ISO 8601 (avec --from).</translation>
    </message>
    <message>
        <source>Columns: path (ml, heuristic, fallback) or version (model version); default path.</source>
        <translation>Colonnes : path (ml, heuristic, fallback) ou version (version du modèle) ; path par défaut.</translation>
    </message>
    <message>
        <source>Prints the KPIs of a deployment over a range, as the dashboard shows them.</source>
        <translation>Affiche les indicateurs d’un déploiement sur une plage, tels que le tableau de bord les montre.</translation>
    </message>
    <message>
        <source>--by must be path or version, not &quot;%1&quot;.</source>
        <translation>--by doit valoir path ou version, pas « %1 ».</translation>
    </message>
    <message>
        <source>--from and --to go together.</source>
        <translation>--from et --to vont ensemble.</translation>
    </message>
    <message>
        <source>--to must be after --from.</source>
        <translation>--to doit être postérieur à --from.</translation>
    </message>
    <message>
        <source>A range is at most 366 days long.</source>
        <translation>Une plage dure au plus 366 jours.</translation>
    </message>
    <message>
        <source>--range must be a number followed by m, h or d (such as 15m, 1h, 24h, 7d, 30d; at most 366 days), not &quot;%1&quot;.</source>
        <translation>--range doit être un nombre suivi de m, h ou d (comme 15m, 1h, 24h, 7d, 30d ; au plus 366 jours), pas « %1 ».</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(aucun)</translation>
    </message>
    <message>
        <source>Deployment %1, %2 to %3 (display buckets of %4 s, %5 ms).</source>
        <translation>Déploiement %1, du %2 au %3 (intervalles d’affichage de %4 s, %5 ms).</translation>
    </message>
    <message>
        <source>all</source>
        <translation>tout</translation>
    </message>
    <message>
        <source>%1  %2  %3  %4</source>
        <translation>%1  %2  %3  %4</translation>
    </message>
    <message>
        <source>Length of the report: day or week (default: day).</source>
        <translation>Durée du rapport : day ou week (par défaut : day).</translation>
    </message>
    <message>
        <source>pdf or csv (default: from the extension of --out).</source>
        <translation>pdf ou csv (par défaut : d’après l’extension de --out).</translation>
    </message>
    <message>
        <source>File to write (replaced only once the report is complete).</source>
        <translation>Fichier à écrire (remplacé seulement une fois le rapport complet).</translation>
    </message>
    <message>
        <source>End of the period, ISO 8601 (2024-05-02T00:00:00Z; a bare date is its midnight UTC). Default: now.</source>
        <translation>Fin de la période, ISO 8601 (2024-05-02T00:00:00Z ; une date seule désigne son minuit UTC). Par défaut : maintenant.</translation>
    </message>
    <message>
        <source>Writes the KPI report of a deployment over a day or a week: figures per path against the targets, charts, alerts and changes of the period.</source>
        <translation>Écrit le rapport d’indicateurs d’un déploiement sur un jour ou une semaine : valeurs par voie face aux objectifs, graphiques, alertes et changements de la période.</translation>
    </message>
    <message>
        <source>--out is required.</source>
        <translation>--out est obligatoire.</translation>
    </message>
    <message>
        <source>--format is required when --out does not end in .pdf or .csv.</source>
        <translation>--format est obligatoire quand --out ne se termine pas par .pdf ou .csv.</translation>
    </message>
    <message>
        <source>--end must be an ISO 8601 date-time such as 2024-05-02T00:00:00Z, not &quot;%1&quot;.</source>
        <translation>--end doit être une date-heure ISO 8601 comme 2024-05-02T00:00:00Z, pas « %1 ».</translation>
    </message>
    <message>
        <source>met</source>
        <translation>atteint</translation>
    </message>
    <message>
        <source>not met</source>
        <translation>non atteint</translation>
    </message>
    <message>
        <source>  %1: %2 [%3]</source>
        <translation>  %1 : %2 [%3]</translation>
    </message>
    <message>
        <source>no</source>
        <translation>non</translation>
    </message>
    <message>
        <source>  %1: %2 (threshold %3 %4) [%5]</source>
        <translation>  %1 : %2 (seuil %3 %4) [%5]</translation>
    </message>
    <message>
        <source>Check whether a deployment is due for retraining (exit 0: due, 1: not due).</source>
        <translation>Vérifie si un déploiement doit être réentraîné (sortie 0 : à faire, 1 : pas encore).</translation>
    </message>
    <message>
        <source>checking</source>
        <translation>vérification</translation>
    </message>
    <message>
        <source>loading data</source>
        <translation>chargement des données</translation>
    </message>
    <message>
        <source>training</source>
        <translation>entraînement</translation>
    </message>
    <message>
        <source>evaluating</source>
        <translation>évaluation</translation>
    </message>
    <message>
        <source>registering</source>
        <translation>enregistrement</translation>
    </message>
    <message>
        <source>done</source>
        <translation>terminé</translation>
    </message>
    <message>
        <source>Data window: the last N days (default 60).</source>
        <translation>Période de données : les N derniers jours (60 par défaut).</translation>
    </message>
    <message>
        <source>Training epochs (default 10).</source>
        <translation>Époques d’entraînement (10 par défaut).</translation>
    </message>
    <message>
        <source>Learning rate (default 0.0005).</source>
        <translation>Taux d’apprentissage (0.0005 par défaut).</translation>
    </message>
    <message>
        <source>Batch size (default 256).</source>
        <translation>Taille de lot (256 par défaut).</translation>
    </message>
    <message>
        <source>Random seed (default 42).</source>
        <translation>Graine aléatoire (42 par défaut).</translation>
    </message>
    <message>
        <source>Re-initialise the weights instead of starting from the champion&apos;s.</source>
        <translation>Réinitialiser les poids au lieu de partir de ceux du champion.</translation>
    </message>
    <message>
        <source>Model store directory (default: MLDECK_MODEL_STORE, else the standard one).</source>
        <translation>Répertoire du magasin de modèles (par défaut : MLDECK_MODEL_STORE, sinon le répertoire standard).</translation>
    </message>
    <message>
        <source>Run even when the triggers are not due.</source>
        <translation>Lancer même si les déclencheurs ne sont pas atteints.</translation>
    </message>
    <message>
        <source>Train and evaluate; register and promote nothing.</source>
        <translation>Entraîner et évaluer ; ne rien enregistrer ni promouvoir.</translation>
    </message>
    <message>
        <source>Retrain the champion on recent data, evaluate it against the champion on the same holdout, and promote it only when the decision rule says so (else keep it as challenger).</source>
        <translation>Réentraîne le champion sur des données récentes, l’évalue face au champion sur le même jeu de test et ne le promeut que si la règle de décision l’indique (sinon il est gardé comme challenger).</translation>
    </message>
    <message>
        <source>--%1: &quot;%2&quot; is not a whole number</source>
        <translation>--%1 : « %2 » n’est pas un entier</translation>
    </message>
    <message>
        <source>--learning-rate: &quot;%1&quot; is not a number</source>
        <translation>--learning-rate : « %1 » n’est pas un nombre</translation>
    </message>
    <message>
        <source>--min-improvement: &quot;%1&quot; is not a number</source>
        <translation>--min-improvement : « %1 » n’est pas un nombre</translation>
    </message>
    <message>
        <source>Retraining is not due; use --force to run anyway.</source>
        <translation>Le réentraînement n’est pas dû ; utilisez --force pour le lancer quand même.</translation>
    </message>
    <message>
        <source>[%1 %] epoch %2/%3: train loss %4, validation loss %5, validation MAE %6, %7 s left</source>
        <translation>[%1 %] époque %2/%3 : perte d’entraînement %4, perte de validation %5, MAE de validation %6, %7 s restantes</translation>
    </message>
    <message>
        <source>[%1 %] %2: %3</source>
        <translation>[%1 %] %2 : %3</translation>
    </message>
    <message>
        <source>Run %1: %2</source>
        <translation>Exécution %1 : %2</translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation>Motif : %1</translation>
    </message>
    <message>
        <source>Candidate %1@%2: %3</source>
        <translation>Candidat %1@%2 : %3</translation>
    </message>
    <message>
        <source>Dry run: nothing was registered.</source>
        <translation>Essai à blanc : rien n’a été enregistré.</translation>
    </message>
    <message>
        <source>Could not apply the decision: %1</source>
        <translation>Impossible d’appliquer la décision : %1</translation>
    </message>
    <message>
        <source>At most N runs (default 50).</source>
        <translation>Au plus N exécutions (50 par défaut).</translation>
    </message>
    <message>
        <source>The retrain runs of a deployment, newest first.</source>
        <translation>Les réentraînements d’un déploiement, les plus récents d’abord.</translation>
    </message>
    <message>
        <source>--limit: &quot;%1&quot; is not a positive whole number</source>
        <translation>--limit : « %1 » n’est pas un entier positif</translation>
    </message>
    <message>
        <source>No retrain run for &quot;%1&quot; yet.</source>
        <translation>Aucun réentraînement pour « %1 » pour l’instant.</translation>
    </message>
    <message>
        <source> dry run</source>
        <translation> essai à blanc</translation>
    </message>
    <message>
        <source>    %1</source>
        <translation>    %1</translation>
    </message>
    <message>
        <source>Retrained versions to keep, newest first (the champion and the previous champion are always kept).</source>
        <translation>Versions réentraînées à conserver, les plus récentes d’abord (le champion et le champion précédent sont toujours conservés).</translation>
    </message>
    <message>
        <source>Archive old retrained versions and remove their files from the model store.</source>
        <translation>Archiver les anciennes versions réentraînées et supprimer leurs fichiers du magasin de modèles.</translation>
    </message>
    <message>
        <source>--keep N is required</source>
        <translation>--keep N est obligatoire</translation>
    </message>
    <message>
        <source>--keep: &quot;%1&quot; is not a whole number of 0 or more</source>
        <translation>--keep : « %1 » n’est pas un entier positif ou nul</translation>
    </message>
    <message>
        <source>Archived: %1</source>
        <translation>Archivées : %1</translation>
    </message>
    <message>
        <source>Kept: %1</source>
        <translation>Conservées : %1</translation>
    </message>
    <message>
        <source>&quot;set key=value ...&quot; changes settings (e.g. set autoRetrain=true minFeedback=150).</source>
        <translation>« set clé=valeur ... » modifie les réglages (par ex. set autoRetrain=true minFeedback=150).</translation>
    </message>
    <message>
        <source>Show or change the retrain settings of a deployment (audited).</source>
        <translation>Affiche ou modifie les réglages de réentraînement d’un déploiement (audité).</translation>
    </message>
    <message>
        <source>unknown argument &quot;%1&quot;: use &quot;set key=value ...&quot;</source>
        <translation>argument « %1 » inconnu : utilisez « set clé=valeur ... »</translation>
    </message>
    <message>
        <source>&quot;set&quot; needs at least one key=value</source>
        <translation>« set » demande au moins un clé=valeur</translation>
    </message>
    <message>
        <source>unknown setting &quot;%1&quot;; known: %2</source>
        <translation>réglage « %1 » inconnu ; réglages connus : %2</translation>
    </message>
    <message>
        <source>%1 must be true or false</source>
        <translation>%1 doit valoir true ou false</translation>
    </message>
    <message>
        <source>%1 must be a number (got &quot;%2&quot;)</source>
        <translation>%1 doit être un nombre (reçu « %2 »)</translation>
    </message>
    <message>
        <source>Ask the running retrain of a deployment to stop (it records itself as cancelled).</source>
        <translation>Demander au réentraînement en cours d’un déploiement de s’arrêter (il s’enregistre comme annulé).</translation>
    </message>
    <message>
        <source>Asked run %1 to stop; it stops at the end of the current epoch.</source>
        <translation>Arrêt demandé à l’exécution %1 ; elle s’arrête à la fin de l’époque en cours.</translation>
    </message>
    <message>
        <source>No retrain run of &quot;%1&quot; is running.</source>
        <translation>Aucun réentraînement de « %1 » n’est en cours.</translation>
    </message>
    <message>
        <source>Usage: mldeckctl retrain &lt;check|run|history|cancel|cleanup|settings&gt; [options]   (mldeckctl retrain &lt;sub&gt; --help)

  check       is the deployment due? each condition with value and threshold (exit 0 due, 1 not)
  run         retrain, evaluate against the champion, promote only if the rule says so
  history     the runs: status, trigger, parameters, metrics, decision
  cancel      ask the running run to stop
  cleanup     archive old retrained versions (--keep N; never the champion or the previous one)
  settings    show or change the triggers and the scheduler (settings set key=value ...)</source>
        <translation>Usage : mldeckctl retrain &lt;check|run|history|cancel|cleanup|settings&gt; [options]   (mldeckctl retrain &lt;sous-commande&gt; --help)

  check       le déploiement est-il à réentraîner ? chaque condition avec sa valeur et son seuil (sortie 0 oui, 1 non)
  run         réentraîner, évaluer face au champion, ne promouvoir que si la règle l’indique
  history     les exécutions : statut, déclencheur, paramètres, métriques, décision
  cancel      demander à l’exécution en cours de s’arrêter
  cleanup     archiver les anciennes versions réentraînées (--keep N ; jamais le champion ni le précédent)
  settings    afficher ou modifier les déclencheurs et le planificateur (settings set clé=valeur ...)</translation>
    </message>
    <message>
        <source> | model %1</source>
        <translation> | modèle %1</translation>
    </message>
    <message>
        <source> | WARNING: %1</source>
        <translation> | ATTENTION : %1</translation>
    </message>
    <message>
        <source>Serve this TorchScript file for the whole run and do not follow the champion (default: follow the deployment&apos;s champion from the registry, the demo MLP until there is one).</source>
        <translation>Servir ce fichier TorchScript pendant toute l’exécution sans suivre le champion (par défaut : suivre le champion du déploiement dans le registre, le MLP de démo tant qu’il n’y en a pas).</translation>
    </message>
    <message>
        <source>started in %1 ms</source>
        <translation>démarré en %1 ms</translation>
    </message>
    <message>
        <source>Check the connections to Redis and PostgreSQL once, and start the model worker once.
Exit code 0 when all three are up, 2 otherwise.</source>
        <translation>Vérifie une fois les connexions à Redis et PostgreSQL, et démarre une fois le processus de modèle.
Code de sortie 0 quand les trois fonctionnent, 2 sinon.</translation>
    </message>
    <message>
        <source>Model worker</source>
        <translation>Processus de modèle</translation>
    </message>
    <message>
        <source>The model worker cannot start: %1</source>
        <translation>Le processus de modèle ne peut pas démarrer : %1</translation>
    </message>
    <message>
        <source>Output format: prometheus (a rules file for promtool and Prometheus).</source>
        <translation>Format de sortie : prometheus (un fichier de règles pour promtool et Prometheus).</translation>
    </message>
    <message>
        <source>Write to this file instead of standard output.</source>
        <translation>Écrire dans ce fichier plutôt que sur la sortie standard.</translation>
    </message>
    <message>
        <source>Writes the KPI alert rules as a Prometheus rules file that fires on the same conditions as the guard, from the series of `mldeckctl guard --listen`.</source>
        <translation>Écrit les règles d’alerte KPI sous forme de fichier de règles Prometheus qui se déclenche dans les mêmes conditions que la garde, à partir des séries de `mldeckctl guard --listen`.</translation>
    </message>
    <message>
        <source>--format must be prometheus (got &quot;%1&quot;).</source>
        <translation>--format doit valoir prometheus (reçu « %1 »).</translation>
    </message>
    <message>
        <source>Usage: mldeckctl alerts &lt;command&gt; [options]   (mldeckctl alerts &lt;command&gt; --help)

  list [--deployment D] [--all] [--json]      open alerts (--all: with resolved ones)
  ack ID [--reason TEXT]                       acknowledge an alert (audited)
  silence ID --until ISO|--for 2h|--off        silence an alert until a time (audited)
  rules [--deployment D] [--json]              KPI alert rules and where each stands
  rules set --deployment D --rule ID ...       change a rule (audited)
  webhook set --deployment D URL | --off       the Slack-compatible webhook
  webhook test --deployment D                  send a test notification
  export --format prometheus [--deployment D]  the rules as a Prometheus rules file</source>
        <translation>Usage : mldeckctl alerts &lt;commande&gt; [options]   (mldeckctl alerts &lt;commande&gt; --help)

  list [--deployment D] [--all] [--json]      alertes ouvertes (--all : avec les résolues)
  ack ID [--reason TEXTE]                      acquitter une alerte (audité)
  silence ID --until ISO|--for 2h|--off        mettre une alerte en sourdine jusqu’à une heure (audité)
  rules [--deployment D] [--json]              règles d’alerte KPI et leur état
  rules set --deployment D --rule ID ...       modifier une règle (audité)
  webhook set --deployment D URL | --off       le webhook compatible Slack
  webhook test --deployment D                  envoyer une notification de test
  export --format prometheus [--deployment D]  les règles en fichier de règles Prometheus</translation>
    </message>
    <message>
        <source>metrics on http://%1:%2/metrics</source>
        <translation>métriques sur http://%1:%2/metrics</translation>
    </message>
    <message>
        <source> | weather API down: neutral weather factor</source>
        <translation> | API météo indisponible : facteur météo neutre</translation>
    </message>
    <message>
        <source> | dependency report: %1</source>
        <translation> | rapport de dépendance : %1</translation>
    </message>
    <message>
        <source>Serve /metrics (Prometheus), /healthz and /readyz on [HOST:]PORT, e.g. 9464 (loopback) or 127.0.0.1:9464 (off by default).</source>
        <translation>Servir /metrics (Prometheus), /healthz et /readyz sur [HÔTE:]PORT, par ex. 9464 (boucle locale) ou 127.0.0.1:9464 (désactivé par défaut).</translation>
    </message>
    <message>
        <source>Redis URL (default: $MLDECK_REDIS_URL).</source>
        <translation>URL de Redis (par défaut : $MLDECK_REDIS_URL).</translation>
    </message>
    <message>
        <source>PostgreSQL URL (default: $MLDECK_PG_URL).</source>
        <translation>URL de PostgreSQL (par défaut : $MLDECK_PG_URL).</translation>
    </message>
    <message>
        <source>Print machine-readable JSON.</source>
        <translation>Afficher du JSON lisible par une machine.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ or -).</source>
        <translation>« %1 » n’est pas un nom de déploiement valide (une minuscule d’abord, puis a-z, 0-9, _ ou -).</translation>
    </message>
    <message>
        <source>No PostgreSQL given: pass --pg postgresql://user@host:port/db or set MLDECK_PG_URL.</source>
        <translation>Aucun PostgreSQL indiqué : passez --pg postgresql://utilisateur@hôte:port/base ou définissez MLDECK_PG_URL.</translation>
    </message>
    <message>
        <source>unknown command &quot;%1 %2&quot;</source>
        <translation>commande « %1 %2 » inconnue</translation>
    </message>
    <message>
        <source>Check the connections to Redis and PostgreSQL.</source>
        <translation>Vérifie les connexions à Redis et PostgreSQL.</translation>
    </message>
    <message>
        <source>Read and change the rollout flags of a deployment.</source>
        <translation>Lit et modifie les drapeaux de déploiement d’un déploiement.</translation>
    </message>
    <message>
        <source>Run the automatic guard (auto-rollback, drift checks).</source>
        <translation>Lance la garde automatique (retour arrière automatique, vérifications de dérive).</translation>
    </message>
    <message>
        <source>Show or advance the staged rollout plan.</source>
        <translation>Affiche ou fait avancer le plan de déploiement par étapes.</translation>
    </message>
    <message>
        <source>Register, list, promote and archive model versions.</source>
        <translation>Enregistre, liste, promeut et archive les versions de modèle.</translation>
    </message>
    <message>
        <source>Evaluate one model on a CSV file.</source>
        <translation>Évalue un modèle sur un fichier CSV.</translation>
    </message>
    <message>
        <source>Compare 2 to 4 models on the same rows.</source>
        <translation>Compare 2 à 4 modèles sur les mêmes lignes.</translation>
    </message>
    <message>
        <source>Check feature drift, live or between two datasets.</source>
        <translation>Vérifie la dérive des variables, en direct ou entre deux jeux de données.</translation>
    </message>
    <message>
        <source>Print the KPIs of a deployment over a time range.</source>
        <translation>Afficher les indicateurs d’un déploiement sur une plage de temps.</translation>
    </message>
    <message>
        <source>List alerts, acknowledge, silence; edit alert rules and the webhook.</source>
        <translation>Lister, acquitter, mettre en silence les alertes ; modifier les règles d’alerte et le webhook.</translation>
    </message>
    <message>
        <source>Write the KPI report of a day or a week as PDF or CSV.</source>
        <translation>Écrire le rapport d’indicateurs d’un jour ou d’une semaine en PDF ou CSV.</translation>
    </message>
    <message>
        <source>Write a Grafana dashboard over the guard&apos;s Prometheus metrics.</source>
        <translation>Écrire un tableau de bord Grafana sur les métriques Prometheus de la garde.</translation>
    </message>
    <message>
        <source>Check retrain triggers, run a retrain, list or clean up runs.</source>
        <translation>Vérifier les déclencheurs de réentraînement, lancer un réentraînement, lister ou nettoyer les exécutions.</translation>
    </message>
    <message>
        <source>Feedback retention: purge what is older than the retention.</source>
        <translation>Conservation des retours : purger ce qui dépasse la durée de conservation.</translation>
    </message>
    <message>
        <source>Show the serving backend&apos;s own dependencies (up, down, in fallback).</source>
        <translation>Afficher les dépendances propres du backend de service (disponibles, indisponibles, en mode dégradé).</translation>
    </message>
    <message>
        <source>Run the reference serving backend on demo traffic.</source>
        <translation>Lance le backend de référence sur du trafic de démo.</translation>
    </message>
    <message>
        <source>Write synthetic ride-delay data as CSV.</source>
        <translation>Écrit des données synthétiques de retard de courses en CSV.</translation>
    </message>
    <message>
        <source>Usage: mldeckctl &lt;verb&gt; [options]   (mldeckctl &lt;verb&gt; --help)</source>
        <translation>Usage : mldeckctl &lt;verbe&gt; [options]   (mldeckctl &lt;verbe&gt; --help)</translation>
    </message>
    <message>
        <source>unknown verb &quot;%1&quot;</source>
        <translation>verbe « %1 » inconnu</translation>
    </message>
    <message>
        <source>UNKNOWN</source>
        <translation>INCONNU</translation>
    </message>
    <message>
        <source>, fallback for %1 min (since %2)</source>
        <translation>, en mode dégradé depuis %1 min (début : %2)</translation>
    </message>
    <message>
        <source>  (%1)</source>
        <translation>  (%1)</translation>
    </message>
    <message>
        <source>  last error: %1</source>
        <translation>  dernière erreur : %1</translation>
    </message>
    <message>
        <source>  reported %1 s ago</source>
        <translation>  rapporté il y a %1 s</translation>
    </message>
    <message>
        <source>Lists the serving backend&apos;s own dependencies (weather API, feature store...) as the backend reports them in Redis: up, down, degraded or unknown (no report within its expiry), and how long a fallback has been active. Exit code 1 when one is not up, in fallback or unknown.</source>
        <translation>Liste les dépendances propres du backend de service (API météo, feature store…) telles que le backend les rapporte dans Redis : up, down, degraded ou inconnue (aucun rapport avant son expiration), et depuis combien de temps un mode dégradé est actif. Code de sortie 1 quand l’une n’est pas disponible, est en mode dégradé ou inconnue.</translation>
    </message>
    <message>
        <source>%1: the backend reports no dependencies.</source>
        <translation>%1 : le backend ne rapporte aucune dépendance.</translation>
    </message>
    <message>
        <source>Wrote %1.</source>
        <translation>%1 écrit.</translation>
    </message>
    <message>
        <source>Usage: mldeckctl export grafana --deployment D [--output FILE]
  Writes an importable Grafana dashboard (JSON) whose panels read the series of `mldeckctl guard --listen`.</source>
        <translation>Usage : mldeckctl export grafana --deployment D [--output FICHIER]
  Écrit un tableau de bord Grafana importable (JSON) dont les panneaux lisent les séries de `mldeckctl guard --listen`.</translation>
    </message>
    <message>
        <source>Writes a Grafana dashboard for a deployment; its targets (MAE, R², latency, failure rate) come from the deployment&apos;s settings.</source>
        <translation>Écrit un tableau de bord Grafana pour un déploiement ; ses objectifs (MAE, R², latence, taux d’échec) viennent des réglages du déploiement.</translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation>Prédictions</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>En échec</translation>
    </message>
    <message>
        <source>With outcome</source>
        <translation>Avec résultat réel</translation>
    </message>
    <message>
        <source>Throughput (/s)</source>
        <translation>Débit (/s)</translation>
    </message>
    <message>
        <source>MAE (min)</source>
        <translation>MAE (min)</translation>
    </message>
    <message>
        <source>RMSE (min)</source>
        <translation>RMSE (min)</translation>
    </message>
    <message>
        <source>R²</source>
        <translation>R²</translation>
    </message>
    <message>
        <source>MAPE (%)</source>
        <translation>MAPE (%)</translation>
    </message>
    <message>
        <source>Latency mean (ms)</source>
        <translation>Latence moyenne (ms)</translation>
    </message>
    <message>
        <source>Latency p50 (ms)</source>
        <translation>Latence p50 (ms)</translation>
    </message>
    <message>
        <source>Latency p95 (ms)</source>
        <translation>Latence p95 (ms)</translation>
    </message>
    <message>
        <source>Latency p99 (ms)</source>
        <translation>Latence p99 (ms)</translation>
    </message>
    <message>
        <source>Failure rate</source>
        <translation>Taux d’échec</translation>
    </message>
    <message>
        <source>Fallback share</source>
        <translation>Part de repli</translation>
    </message>
    <message>
        <source>Delays anticipated</source>
        <translation>Retards anticipés</translation>
    </message>
    <message>
        <source>Satisfaction</source>
        <translation>Satisfaction</translation>
    </message>
    <message>
        <source>ML uptime</source>
        <translation>Disponibilité du ML</translation>
    </message>
    <message>
        <source>ML vs heuristic (%)</source>
        <translation>ML face à l’heuristique (%)</translation>
    </message>
    <message>
        <source>Create, list, show, change and archive deployments.</source>
        <translation>Créer, lister, afficher, modifier et archiver des déploiements.</translation>
    </message>
    <message>
        <source>Fill an empty deployment with a month of demo history.</source>
        <translation>Remplir un déploiement vide avec un mois d’historique de démonstration.</translation>
    </message>
    <message>
        <source>Delete a rule of the deployment&apos;s own (an alert it raised resolves).</source>
        <translation>Supprimer une règle propre au déploiement (une alerte qu’elle a levée est résolue).</translation>
    </message>
    <message>
        <source>--reset and --delete exclude each other.</source>
        <translation>--reset et --delete s’excluent.</translation>
    </message>
    <message>
        <source>Deployment %1 has no rule &quot;%2&quot;.</source>
        <translation>Le déploiement %1 n’a pas de règle « %2 ».</translation>
    </message>
    <message>
        <source>Rule %1 of %2 deleted.</source>
        <translation>Règle %1 de %2 supprimée.</translation>
    </message>
    <message>
        <source>Length of the history in days (default 30).</source>
        <translation>Durée de l’historique en jours (30 par défaut).</translation>
    </message>
    <message>
        <source>Random seed (default 42): the same seed and end give the same history.</source>
        <translation>Graine aléatoire (42 par défaut) : la même graine et la même fin donnent le même historique.</translation>
    </message>
    <message>
        <source>Mean requests per second over the day (default 1; busier at rush hours, quiet at night).</source>
        <translation>Requêtes par seconde en moyenne sur la journée (1 par défaut ; plus aux heures de pointe, calme la nuit).</translation>
    </message>
    <message>
        <source>End of the history, ISO 8601 (default: now, to the minute).</source>
        <translation>Fin de l’historique, ISO 8601 (par défaut : maintenant, à la minute).</translation>
    </message>
    <message>
        <source>--days must be a whole number, not &quot;%1&quot;.</source>
        <translation>--days doit être un nombre entier, pas « %1 ».</translation>
    </message>
    <message>
        <source>--rate must be a number, not &quot;%1&quot;.</source>
        <translation>--rate doit être un nombre, pas « %1 ».</translation>
    </message>
    <message>
        <source>--end must be an ISO 8601 date-time such as 2024-05-01T08:00:00Z, not &quot;%1&quot;.</source>
        <translation>--end doit être une date-heure ISO 8601 comme 2024-05-01T08:00:00Z, pas « %1 ».</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already has its demo history (%2 .. %3, seed %4): reused, nothing added.</source>
        <translation>Le déploiement « %1 » a déjà son historique de démonstration (%2 .. %3, graine %4) : réutilisé, rien d’ajouté.</translation>
    </message>
    <message>
        <source>  %1: %2 s, %3 rows, %4 rows/s</source>
        <translation>  %1 : %2 s, %3 lignes, %4 lignes/s</translation>
    </message>
    <message>
        <source>  %1: %2 s</source>
        <translation>  %1 : %2 s</translation>
    </message>
    <message>
        <source>History of &quot;%1&quot; from %2 to %3: %4 predictions, %5 outcomes, %6 feedback, %7 audit rows in %8 s (%9 log rows/s overall).</source>
        <translation>Historique de « %1 » du %2 au %3 : %4 prédictions, %5 résultats, %6 retours, %7 lignes d’audit en %8 s (%9 lignes de journal/s au total).</translation>
    </message>
    <message>
        <source>%1  (archived %2 by %3)</source>
        <translation>%1  (archivé le %2 par %3)</translation>
    </message>
    <message>
        <source>  task         %1</source>
        <translation>  tâche        %1</translation>
    </message>
    <message>
        <source>  description  %1</source>
        <translation>  description  %1</translation>
    </message>
    <message>
        <source>  target       %1 (unit: %2)</source>
        <translation>  cible        %1 (unité : %2)</translation>
    </message>
    <message>
        <source>  created      %1 by %2</source>
        <translation>  créé         le %1 par %2</translation>
    </message>
    <message>
        <source>%1 (categorical)</source>
        <translation>%1 (catégorielle)</translation>
    </message>
    <message>
        <source>  features     schema %1: %2</source>
        <translation>  variables    schéma %1 : %2</translation>
    </message>
    <message>
        <source>  features     none yet (the first model registered or row logged sets them)</source>
        <translation>  variables    aucune pour l’instant (le premier modèle enregistré ou la première ligne journalisée les fixe)</translation>
    </message>
    <message>
        <source>give exactly one deployment name</source>
        <translation>donnez exactement un nom de déploiement</translation>
    </message>
    <message>
        <source>The new deployment&apos;s name (lower-case, as in Redis keys).</source>
        <translation>Le nom du nouveau déploiement (en minuscules, comme dans les clés Redis).</translation>
    </message>
    <message>
        <source>regression or classification (default: the model&apos;s, else regression).</source>
        <translation>regression ou classification (par défaut : celle du modèle, sinon regression).</translation>
    </message>
    <message>
        <source>One line saying what it predicts.</source>
        <translation>Une ligne qui dit ce qu’il prédit.</translation>
    </message>
    <message>
        <source>What the model predicts (default: the model&apos;s target).</source>
        <translation>Ce que le modèle prédit (par défaut : la cible du modèle).</translation>
    </message>
    <message>
        <source>Its unit (default: the model&apos;s).</source>
        <translation>Son unité (par défaut : celle du modèle).</translation>
    </message>
    <message>
        <source>Take the feature schema, task and target from this model file&apos;s metadata.</source>
        <translation>Prendre le schéma des variables, la tâche et la cible dans les métadonnées de ce fichier de modèle.</translation>
    </message>
    <message>
        <source>Drift reference: the first N logged predictions (default: %1).</source>
        <translation>Référence de dérive : les N premières prédictions journalisées (par défaut : %1).</translation>
    </message>
    <message>
        <source>Create a deployment: its PostgreSQL row, feature schema, default targets, drift reference and Redis flags (ML off, 0 %), audited.</source>
        <translation>Créer un déploiement : sa ligne PostgreSQL, son schéma de variables, ses cibles par défaut, sa référence de dérive et ses drapeaux Redis (ML désactivé, 0 %), audité.</translation>
    </message>
    <message>
        <source>Model file %1 has no mldeck.json metadata: its features are unknown.</source>
        <translation>Le fichier de modèle %1 n’a pas de métadonnées mldeck.json : ses variables sont inconnues.</translation>
    </message>
    <message>
        <source>Give --task regression or --task classification (or --from-model FILE).</source>
        <translation>Donnez --task regression ou --task classification (ou --from-model FICHIER).</translation>
    </message>
    <message>
        <source>--reference-rows must be a whole number, not &quot;%1&quot;.</source>
        <translation>--reference-rows doit être un nombre entier, pas « %1 ».</translation>
    </message>
    <message>
        <source>Created deployment &quot;%1&quot;.</source>
        <translation>Déploiement « %1 » créé.</translation>
    </message>
    <message>
        <source>Its Redis flags already existed and were left as they are (ml_enabled %1, %2 %).</source>
        <translation>Ses drapeaux Redis existaient déjà et ont été laissés tels quels (ml_enabled %1, %2 %).</translation>
    </message>
    <message>
        <source>Its Redis flags were created: ML off, 0 %.</source>
        <translation>Ses drapeaux Redis ont été créés : ML désactivé, 0 %.</translation>
    </message>
    <message>
        <source>Include archived deployments.</source>
        <translation>Inclure les déploiements archivés.</translation>
    </message>
    <message>
        <source>List the deployments (active ones unless --all).</source>
        <translation>Lister les déploiements (les actifs, sauf avec --all).</translation>
    </message>
    <message>
        <source>No deployments. Create one with &quot;mldeckctl deployments create NAME --task regression&quot;.</source>
        <translation>Aucun déploiement. Créez-en un avec « mldeckctl deployments create NOM --task regression ».</translation>
    </message>
    <message>
        <source>active</source>
        <translation>actif</translation>
    </message>
    <message>
        <source>The deployment.</source>
        <translation>Le déploiement.</translation>
    </message>
    <message>
        <source>Show a deployment (archived ones too).</source>
        <translation>Afficher un déploiement (archivé aussi).</translation>
    </message>
    <message>
        <source>New description.</source>
        <translation>Nouvelle description.</translation>
    </message>
    <message>
        <source>New target name.</source>
        <translation>Nouveau nom de cible.</translation>
    </message>
    <message>
        <source>New target unit.</source>
        <translation>Nouvelle unité de cible.</translation>
    </message>
    <message>
        <source>Changed deployment &quot;%1&quot;.</source>
        <translation>Déploiement « %1 » modifié.</translation>
    </message>
    <message>
        <source>Why (recorded in the audit log); required.</source>
        <translation>Pourquoi (consigné dans le journal d’audit) ; obligatoire.</translation>
    </message>
    <message>
        <source>Archive a deployment: hidden from the selectors and the guard, its history kept (audited).</source>
        <translation>Archiver un déploiement : masqué des sélecteurs et de la garde, son historique conservé (audité).</translation>
    </message>
    <message>
        <source>Archived deployment &quot;%1&quot;; its history is kept.</source>
        <translation>Déploiement « %1 » archivé ; son historique est conservé.</translation>
    </message>
    <message>
        <source>Reference: first_rows:N, model, snapshot:NAME, period:FROM/TO, auto, first:DURATION or previous:DURATION (default: the deployment&apos;s setting, else first_rows:5000).</source>
        <translation>Référence : first_rows:N, model, snapshot:NOM, period:DEBUT/FIN, auto, first:DUREE ou previous:DUREE (par défaut : le réglage du déploiement, sinon first_rows:5000).</translation>
    </message>
    <message>
        <source>Checks the live window of a deployment for feature drift. Exit code 1 when the dataset drifts, 3 while its reference is still filling.</source>
        <translation>Vérifie la dérive des variables sur la fenêtre courante d’un déploiement. Code de sortie 1 quand le jeu de données dérive, 3 tant que sa référence se remplit.</translation>
    </message>
    <message>
        <source>Deployment %1: %2 (%3); drift is checked once the reference is full.</source>
        <translation>Déploiement %1 : %2 (%3) ; la dérive est vérifiée une fois la référence pleine.</translation>
    </message>
    <message>
        <source>Deployment %1: drift reference %2 (%3)%4.</source>
        <translation>Déploiement %1 : référence de dérive %2 (%3)%4.</translation>
    </message>
    <message>
        <source>, the default</source>
        <translation>, celle par défaut</translation>
    </message>
    <message>
        <source>State: %1.</source>
        <translation>État : %1.</translation>
    </message>
    <message>
        <source>Snapshots: %1.</source>
        <translation>Instantanés : %1.</translation>
    </message>
    <message>
        <source>Shows the drift reference of a deployment and whether it is still filling.</source>
        <translation>Affiche la référence de dérive d’un déploiement et si elle se remplit encore.</translation>
    </message>
    <message>
        <source>The first N logged predictions (the default, N = 5000).</source>
        <translation>Les N premières prédictions journalisées (par défaut, N = 5000).</translation>
    </message>
    <message>
        <source>A logged period FROM/TO, ISO 8601.</source>
        <translation>Une période journalisée DEBUT/FIN, ISO 8601.</translation>
    </message>
    <message>
        <source>A stored snapshot, by name.</source>
        <translation>Un instantané enregistré, par son nom.</translation>
    </message>
    <message>
        <source>The champion model&apos;s training window (train_from/train_to).</source>
        <translation>La fenêtre d’entraînement du modèle champion (train_from/train_to).</translation>
    </message>
    <message>
        <source>The model&apos;s training data: a CSV file with a column per feature (optional columns predicted, actual), stored as a snapshot.</source>
        <translation>Les données d’entraînement du modèle : un fichier CSV avec une colonne par variable (colonnes predicted, actual facultatives), enregistré comme instantané.</translation>
    </message>
    <message>
        <source>Name of the snapshot --from-csv stores (default: training).</source>
        <translation>Nom de l’instantané que --from-csv enregistre (par défaut : training).</translation>
    </message>
    <message>
        <source>Any reference text: auto, first:DURATION, previous:DURATION, ...</source>
        <translation>N’importe quel texte de référence : auto, first:DUREE, previous:DUREE, ...</translation>
    </message>
    <message>
        <source>Sets the drift reference of a deployment (one of --first-rows, --period, --snapshot, --model, --from-csv, --spec); audited.</source>
        <translation>Définit la référence de dérive d’un déploiement (une parmi --first-rows, --period, --snapshot, --model, --from-csv, --spec) ; audité.</translation>
    </message>
    <message>
        <source>Choose the reference: --first-rows N, --period FROM/TO, --snapshot NAME, --model, --from-csv FILE or --spec SPEC.</source>
        <translation>Choisissez la référence : --first-rows N, --period DEBUT/FIN, --snapshot NOM, --model, --from-csv FICHIER ou --spec SPEC.</translation>
    </message>
    <message>
        <source>Choose one reference, not %1.</source>
        <translation>Choisissez une seule référence, pas %1.</translation>
    </message>
    <message>
        <source>--name goes with --from-csv.</source>
        <translation>--name va avec --from-csv.</translation>
    </message>
    <message>
        <source>Drift reference not changed: %1</source>
        <translation>Référence de dérive non modifiée : %1</translation>
    </message>
    <message>
        <source>Usage: mldeckctl drift reference show --deployment D [--json]
       mldeckctl drift reference set --deployment D (--first-rows N | --period FROM/TO | --snapshot NAME | --model | --from-csv FILE [--name NAME] | --spec SPEC) [--json]</source>
        <translation>Usage : mldeckctl drift reference show --deployment D [--json]
        mldeckctl drift reference set --deployment D (--first-rows N | --period DEBUT/FIN | --snapshot NOM | --model | --from-csv FICHIER [--name NOM] | --spec SPEC) [--json]</translation>
    </message>
    <message>
        <source>       mldeckctl drift reference show|set --deployment D ... (see drift reference --help)</source>
        <translation>        mldeckctl drift reference show|set --deployment D ... (voir drift reference --help)</translation>
    </message>
    <message>
        <source>Use &quot;mldeckctl drift check&quot;, &quot;mldeckctl drift compare&quot; or &quot;mldeckctl drift reference&quot; (see --help).</source>
        <translation>Utilisez « mldeckctl drift check », « mldeckctl drift compare » ou « mldeckctl drift reference » (voir --help).</translation>
    </message>
    <message>
        <source>Rule id (failure_rate, latency_p95_ms, mae, r2, no_data, dependency_fallback, a classifier&apos;s accuracy, or one of yours).</source>
        <translation>Identifiant de la règle (failure_rate, latency_p95_ms, mae, r2, no_data, dependency_fallback, accuracy pour un classifieur, ou l’une des vôtres).</translation>
    </message>
    <message>
        <source>Metric of a new rule: failure_rate, latency_p95_ms, mae, r2, no_data, dependency_fallback (threshold in minutes); a classifier&apos;s: accuracy, f1, log_loss, ece, estimated_accuracy (in place of mae and r2).</source>
        <translation>Métrique d’une nouvelle règle : failure_rate, latency_p95_ms, mae, r2, no_data, dependency_fallback (seuil en minutes) ; pour un classifieur : accuracy, f1, log_loss, ece, estimated_accuracy (à la place de mae et r2).</translation>
    </message>
    <message>
        <source>%1: accuracy %2, precision %3, recall %4, F1 %5, ROC AUC %6, PR AUC %7, log-loss %8, Brier %9, ECE %10, %11 rows/s, p50 %12 ms, p99 %13 ms</source>
        <translation>%1 : exactitude %2, précision %3, rappel %4, F1 %5, ROC AUC %6, PR AUC %7, log-loss %8, Brier %9, ECE %10, %11 lignes/s, p50 %12 ms, p99 %13 ms</translation>
    </message>
    <message>
        <source>--task must be delay or accept, not &quot;%1&quot;.</source>
        <translation>--task doit valoir delay ou accept, pas « %1 ».</translation>
    </message>
    <message>
        <source>delay (default): ride bookings and their delay (regression, the eta demo); accept: ride offers and whether the driver accepted (classification, the accept demo).</source>
        <translation>delay (par défaut) : réservations de courses et leur retard (régression, la démo eta) ; accept : offres de course et leur acceptation ou non par le chauffeur (classification, la démo accept).</translation>
    </message>
    <message>
        <source>Writes synthetic dispatch data as CSV: ride bookings (features, delay_min, ts) or, with --task accept, ride offers (features, accepted, ts).</source>
        <translation>Écrit des données synthétiques de répartition des courses en CSV : réservations de courses (variables, delay_min, ts) ou, avec --task accept, offres de course (variables, accepted, ts).</translation>
    </message>
    <message>
        <source>Fill an empty deployment with a month of realistic demo history (COPY), or say that it is already there. A deployment created as a classifier gets ride offers (will the driver accept).</source>
        <translation>Remplir un déploiement vide avec un mois d’historique de démonstration réaliste (COPY), ou indiquer qu’il est déjà là. Un déploiement créé comme classifieur reçoit des offres de course (le chauffeur acceptera-t-il).</translation>
    </message>
    <message>
        <source>  classes      %1 (positive: %2 when P(%2) &gt;= %3)</source>
        <translation>  classes      %1 (positive : %2 quand P(%2) &gt;= %3)</translation>
    </message>
    <message>
        <source>  classes      %1 (the most probable is served)</source>
        <translation>  classes      %1 (la plus probable est servie)</translation>
    </message>
    <message>
        <source>--decision-threshold must be a number strictly between 0 and 1, not &quot;%1&quot;.</source>
        <translation>--decision-threshold doit être un nombre strictement compris entre 0 et 1, pas « %1 ».</translation>
    </message>
    <message>
        <source>--classes and --decision-threshold are for a classification deployment (--task classification).</source>
        <translation>--classes et --decision-threshold sont réservés à un déploiement de classification (--task classification).</translation>
    </message>
    <message>
        <source>A classification deployment needs its classes: give --classes a,b[,...] in the order of the model&apos;s output (or --from-model FILE).</source>
        <translation>Un déploiement de classification demande ses classes : donnez --classes a,b[,...] dans l’ordre de la sortie du modèle (ou --from-model FICHIER).</translation>
    </message>
    <message>
        <source>--decision-threshold applies to two classes only (%1 given): a multi-class deployment serves the most probable class.</source>
        <translation>--decision-threshold ne s’applique qu’à deux classes (%1 données) : un déploiement multiclasse sert la classe la plus probable.</translation>
    </message>
    <message>
        <source>classification: the class names in the order of the model&apos;s output, comma-separated; binary: negative,positive (default: the model&apos;s).</source>
        <translation>classification : les noms des classes dans l’ordre de la sortie du modèle, séparés par des virgules ; binaire : négative,positive (par défaut : ceux du modèle).</translation>
    </message>
    <message>
        <source>binary classification: the positive class is served when its probability is at least this (default: the model&apos;s, else 0.5).</source>
        <translation>classification binaire : la classe positive est servie quand sa probabilité atteint au moins cette valeur (par défaut : celle du modèle, sinon 0.5).</translation>
    </message>
    <message>
        <source>New decision threshold of a binary classification deployment (0 &lt; t &lt; 1).</source>
        <translation>Nouveau seuil de décision d’un déploiement de classification binaire (0 &lt; t &lt; 1).</translation>
    </message>
    <message>
        <source>Change the description, target or decision threshold of a deployment (audited).</source>
        <translation>Modifier la description, la cible ou le seuil de décision d’un déploiement (audité).</translation>
    </message>
    <message>
        <source>A classifier: turn ML off below this accuracy (0 to 1).</source>
        <translation>Un classifieur : couper le ML en dessous de cette exactitude (0 à 1).</translation>
    </message>
    <message>
        <source>A classifier: halve the percentage below this accuracy (0 to 1).</source>
        <translation>Un classifieur : diviser le pourcentage par deux en dessous de cette exactitude (0 à 1).</translation>
    </message>
    <message>
        <source>A classifier: halve the percentage above this log-loss.</source>
        <translation>Un classifieur : diviser le pourcentage par deux au-delà de cette log-loss.</translation>
    </message>
    <message>
        <source>  ML off above a failure rate of %1 or below an accuracy of %2; percentage halved above latency p95 %3 ms, below an accuracy of %4 or above a log-loss of %5 (accuracy and log-loss once %6 predictions of the window are labelled)</source>
        <translation>  ML coupé au-delà d’un taux d’échec de %1 ou en dessous d’une exactitude de %2 ; pourcentage divisé par deux au-delà d’une latence p95 de %3 ms, en dessous d’une exactitude de %4 ou au-delà d’une log-loss de %5 (exactitude et log-loss dès que %6 prédictions de la fenêtre sont étiquetées)</translation>
    </message>
    <message>
        <source>With a label</source>
        <translation>Avec étiquette</translation>
    </message>
    <message>
        <source>Label coverage</source>
        <translation>Couverture des étiquettes</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitude</translation>
    </message>
    <message>
        <source>Balanced accuracy</source>
        <translation>Exactitude équilibrée</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>Précision</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>Rappel</translation>
    </message>
    <message>
        <source>F1</source>
        <translation>F1</translation>
    </message>
    <message>
        <source>ROC AUC</source>
        <translation>ROC AUC</translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation>Log-loss</translation>
    </message>
    <message>
        <source>Brier score</source>
        <translation>Score de Brier</translation>
    </message>
    <message>
        <source>Calibration (ECE)</source>
        <translation>Calibration (ECE)</translation>
    </message>
    <message>
        <source>Mean confidence</source>
        <translation>Confiance moyenne</translation>
    </message>
    <message>
        <source>Positive rate</source>
        <translation>Taux de positifs</translation>
    </message>
    <message>
        <source>Est. accuracy</source>
        <translation>Exactitude est.</translation>
    </message>
    <message>
        <source>Est. precision</source>
        <translation>Précision est.</translation>
    </message>
    <message>
        <source>Est. recall</source>
        <translation>Rappel est.</translation>
    </message>
    <message>
        <source>Est. F1</source>
        <translation>F1 est.</translation>
    </message>
    <message>
        <source>ML vs heuristic (pts)</source>
        <translation>ML face à l’heuristique (pts)</translation>
    </message>
    <message>
        <source>Estimates not to be trusted: %1</source>
        <translation>Estimations non fiables : %1</translation>
    </message>
    <message>
        <source>Confusion matrix, all paths (rows: true class, columns: served class):</source>
        <translation>Matrice de confusion, toutes voies (lignes : classe réelle, colonnes : classe servie) :</translation>
    </message>
    <message>
        <source>A classifier: accuracy at least, share 0..1.</source>
        <translation>Un classifieur : exactitude au moins, proportion 0..1.</translation>
    </message>
    <message>
        <source>A classifier: F1 at least, share 0..1 (none: no such gate).</source>
        <translation>Un classifieur : F1 au moins, proportion 0..1 (none : pas de tel critère).</translation>
    </message>
    <message>
        <source>A classifier: log-loss at most (none: no such gate).</source>
        <translation>Un classifieur : log-loss au plus (none : pas de tel critère).</translation>
    </message>
    <message>
        <source>A classifier: calibration error (ECE) at most (none: no such gate).</source>
        <translation>Un classifieur : erreur de calibration (ECE) au plus (none : pas de tel critère).</translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation>exactitude</translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation>log-loss</translation>
    </message>
    <message>
        <source>--class-weights: &quot;%1&quot; is not &quot;balanced&quot; nor a list of numbers</source>
        <translation>--class-weights : « %1 » n’est ni « balanced » ni une liste de nombres</translation>
    </message>
    <message>
        <source>Decision rule: improvement required, relative for MAE and log-loss, in accuracy points for accuracy (default: the settings&apos;).</source>
        <translation>Règle de décision : amélioration requise, relative pour la MAE et la log-loss, en points d’exactitude pour l’exactitude (par défaut : celle des réglages).</translation>
    </message>
    <message>
        <source>A classifier&apos;s decision metric: accuracy or log_loss (default: the settings&apos;).</source>
        <translation>Métrique de décision d’un classifieur : accuracy ou log_loss (par défaut : celle des réglages).</translation>
    </message>
    <message>
        <source>A classifier&apos;s class weights in the loss: balanced, or one number per class (1,3).</source>
        <translation>Poids des classes d’un classifieur dans la perte : balanced, ou un nombre par classe (1,3).</translation>
    </message>
    <message>
        <source>[%1 %] epoch %2/%3: train loss %4, validation loss %5, validation accuracy %6 %, %7 s left</source>
        <translation>[%1 %] époque %2/%3 : perte d’entraînement %4, perte de validation %5, exactitude de validation %6 %, %7 s restantes</translation>
    </message>
    <message>
        <source>Holdout %1: candidate %2, champion %3</source>
        <translation>Test %1 : candidat %2, champion %3</translation>
    </message>
    <message>
        <source>#%1 %2 %3 %4 (%5)%6 base %7 -&gt; %8, %9 s, %10 %11 vs %12, decision %13</source>
        <translation>#%1 %2 %3 %4 (%5)%6 base %7 -&gt; %8, %9 s, %10 %11 contre %12, décision %13</translation>
    </message>
    <message>
        <source>Share of requests whose ground truth arrives, 0 to 1 (default: 0.9).</source>
        <translation>Part des requêtes dont la vérité terrain arrive, de 0 à 1 (par défaut : 0.9).</translation>
    </message>
    <message>
        <source>Share of requests with user feedback, 0 to 1 (default: 0.05; a regression&apos;s among those with ground truth).</source>
        <translation>Part des requêtes avec un retour utilisateur, de 0 à 1 (par défaut : 0.05 ; pour une régression, parmi celles qui ont une vérité terrain).</translation>
    </message>
    <message>
        <source>Acts as the production serving backend: follows the flags live, routes each request to the model or the heuristic, and logs predictions, outcomes and feedback to PostgreSQL. A deployment created as a classifier is served ride offers (will the driver accept) with class probabilities. Without --model it serves the deployment&apos;s champion and switches to a newly promoted one (SHA-256 verified) between batches. Ctrl-C flushes what is buffered.</source>
        <translation>Joue le rôle du backend de service en production : suit les drapeaux en direct, envoie chaque requête au modèle ou à l’heuristique, et journalise prédictions, résultats et retours dans PostgreSQL. Un déploiement créé comme classifieur reçoit des offres de course (le chauffeur acceptera-t-il) avec les probabilités des classes. Sans --model, il sert le champion du déploiement et passe à un champion nouvellement promu (vérifié par SHA-256) entre deux lots. Ctrl-C vide ce qui est en mémoire tampon.</translation>
    </message>
    <message>
        <source>--%1 must be a number from 0 to 1, not &quot;%2&quot;.</source>
        <translation>--%1 doit être un nombre de 0 à 1, pas « %2 ».</translation>
    </message>
    <message>
        <source>--pg carries a password, which other users of this machine can read in the process list: set MLDECK_PG_URL instead, or keep the password in ~/.pgpass (PGPASSFILE).</source>
        <translation>--pg contient un mot de passe, que les autres utilisateurs de cette machine peuvent lire dans la liste des processus : définissez plutôt MLDECK_PG_URL, ou gardez le mot de passe dans ~/.pgpass (PGPASSFILE).</translation>
    </message>
    <message>
        <source>--redis carries a password, which other users of this machine can read in the process list: set MLDECK_REDIS_URL instead.</source>
        <translation>--redis contient un mot de passe, que les autres utilisateurs de cette machine peuvent lire dans la liste des processus : définissez plutôt MLDECK_REDIS_URL.</translation>
    </message>
    <message>
        <source>warning: %1</source>
        <translation>avertissement : %1</translation>
    </message>
    <message>
        <source>Read the audit log: list, export, what served when, verify the chain.</source>
        <translation>Lire le journal d’audit : lister, exporter, ce qui a servi et quand, vérifier la chaîne.</translation>
    </message>
    <message>
        <source>Only this deployment (default: every row).</source>
        <translation>Seulement ce déploiement (par défaut : toutes les lignes).</translation>
    </message>
    <message>
        <source>Only rows whose actor or database role contains this text.</source>
        <translation>Seulement les lignes dont l’auteur ou le rôle de base de données contient ce texte.</translation>
    </message>
    <message>
        <source>Only this action or family of actions (flags, flags.rollback, guard, model.promote...); repeat for several.</source>
        <translation>Seulement cette action ou famille d’actions (flags, flags.rollback, guard, model.promote...) ; à répéter pour plusieurs.</translation>
    </message>
    <message>
        <source>Rows written at or after this time, ISO 8601 (UTC when no offset).</source>
        <translation>Lignes écrites à cette heure ou après, ISO 8601 (UTC sans décalage).</translation>
    </message>
    <message>
        <source>Rows written before this time, ISO 8601.</source>
        <translation>Lignes écrites avant cette heure, ISO 8601.</translation>
    </message>
    <message>
        <source>Only rows containing this text (action, actor, reason, deployment, before or after).</source>
        <translation>Seulement les lignes contenant ce texte (action, auteur, motif, déploiement, avant ou après).</translation>
    </message>
    <message>
        <source>At most this many rows, 1 to 1000 (default 100).</source>
        <translation>Au plus ce nombre de lignes, de 1 à 1000 (100 par défaut).</translation>
    </message>
    <message>
        <source>Lists the audit log, newest first, with what each change did.</source>
        <translation>Liste le journal d’audit, du plus récent au plus ancien, avec ce que chaque changement a fait.</translation>
    </message>
    <message>
        <source>--limit must be a whole number from 1 to 1000.</source>
        <translation>--limit doit être un nombre entier de 1 à 1000.</translation>
    </message>
    <message>
        <source>No changes match.</source>
        <translation>Aucun changement ne correspond.</translation>
    </message>
    <message>
        <source>%1 of %2 matching rows shown.</source>
        <translation>%1 lignes affichées sur %2 correspondantes.</translation>
    </message>
    <message>
        <source>csv or json.</source>
        <translation>csv ou json.</translation>
    </message>
    <message>
        <source>Writes every matching audit row, newest first, as CSV or JSON.</source>
        <translation>Écrit chaque ligne d’audit correspondante, les plus récentes d’abord, en CSV ou en JSON.</translation>
    </message>
    <message>
        <source>--format must be csv or json (got &quot;%1&quot;).</source>
        <translation>--format doit être csv ou json (reçu « %1 »).</translation>
    </message>
    <message numerus="yes">
        <source>Wrote %n audit row(s) to %1.</source>
        <translation>
            <numerusform>%n ligne d’audit écrite dans %1.</numerusform>
            <numerusform>%n lignes d’audit écrites dans %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>The deployment (required).</source>
        <translation>Le déploiement (obligatoire).</translation>
    </message>
    <message>
        <source>Start of the range, ISO 8601 (required).</source>
        <translation>Début de la plage, ISO 8601 (obligatoire).</translation>
    </message>
    <message>
        <source>End of the range, ISO 8601 (default: now).</source>
        <translation>Fin de la plage, ISO 8601 (par défaut : maintenant).</translation>
    </message>
    <message>
        <source>Shows which champion version and which ML traffic share served a deployment over a range, with who changed each and why.</source>
        <translation>Affiche quelle version champion et quelle part du trafic ML ont servi un déploiement sur une plage, avec qui a changé chacune et pourquoi.</translation>
    </message>
    <message>
        <source>--from is required.</source>
        <translation>--from est obligatoire.</translation>
    </message>
    <message>
        <source>Nothing recorded about what served %1 up to %2.</source>
        <translation>Rien n’est enregistré sur ce qui a servi %1 jusqu’à %2.</translation>
    </message>
    <message>
        <source>(unknown)</source>
        <translation>(inconnu)</translation>
    </message>
    <message>
        <source>(carried in)</source>
        <translation>(état antérieur)</translation>
    </message>
    <message>
        <source>Usage: mldeckctl audit &lt;command&gt; [options]   (mldeckctl audit &lt;command&gt; --help)

  list [filters] [--limit N] [--json]            the audit log, newest first, with each change
  export --format csv|json [--output FILE] [filters]  every matching row (streamed)
  timeline --deployment D --from T [--to T] [--json]  what served when: champion and ML %
  verify [--deployment D] [--json]               recompute the hash chain; name the first break

Filters: --deployment D --actor TEXT --kind K (repeatable) --from T --to T --search TEXT</source>
        <translation>Usage : mldeckctl audit &lt;commande&gt; [options]   (mldeckctl audit &lt;commande&gt; --help)

  list [filtres] [--limit N] [--json]           le journal d’audit, du plus récent au plus ancien, avec chaque changement
  export --format csv|json [--output FICHIER] [filtres]  chaque ligne correspondante (en flux)
  timeline --deployment D --from T [--to T] [--json]  ce qui a servi, et quand : champion et ML %
  verify [--deployment D] [--json]               recalcule la chaîne de hachage ; indique la première rupture

Filtres : --deployment D --actor TEXTE --kind K (répétable) --from T --to T --search TEXTE</translation>
    </message>
    <message>
        <source>(no deployment)</source>
        <translation>(aucun déploiement)</translation>
    </message>
    <message>
        <source>Check only this deployment&apos;s chain.</source>
        <translation>Ne vérifier que la chaîne de ce déploiement.</translation>
    </message>
    <message>
        <source>Recompute the audit log&apos;s hash chain and name the first row changed, removed or inserted out of order (exit 1 when broken).</source>
        <translation>Recalcule la chaîne de hachage du journal d’audit et indique la première ligne modifiée, supprimée ou insérée dans le désordre (code de sortie 1 si elle est rompue).</translation>
    </message>
    <message>
        <source>The audit log has no rows for deployment &quot;%1&quot;.</source>
        <translation>Le journal d’audit n’a aucune ligne pour le déploiement « %1 ».</translation>
    </message>
    <message numerus="yes">
        <source>%1: intact, %n row(s), head %2 at position %3</source>
        <translation>
            <numerusform>%1 : intacte, %n ligne, tête %2 à la position %3</numerusform>
            <numerusform>%1 : intacte, %n lignes, tête %2 à la position %3</numerusform>
        </translation>
    </message>
    <message>
        <source>%1: BROKEN: %2</source>
        <translation>%1 : ROMPUE : %2</translation>
    </message>
    <message>
        <source>Audit chain intact: %1 chain(s), %2 row(s) checked.</source>
        <translation>Chaîne d’audit intacte : %1 chaîne(s), %2 ligne(s) vérifiée(s).</translation>
    </message>
    <message>
        <source>Audit chain BROKEN (see above).</source>
        <translation>Chaîne d’audit ROMPUE (voir ci-dessus).</translation>
    </message>
    <message>
        <source>user %1</source>
        <translation>utilisateur %1</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>inconnu</translation>
    </message>
    <message>
        <source>Could not write the export to standard output: %1.</source>
        <translation>Impossible d’écrire l’export sur la sortie standard : %1.</translation>
    </message>
    <message>
        <source>user %1, read-only, not encrypted</source>
        <translation>utilisateur %1, lecture seule, non chiffré</translation>
    </message>
    <message>
        <source>user %1, read-only</source>
        <translation>utilisateur %1, lecture seule</translation>
    </message>
    <message>
        <source>user %1, not encrypted</source>
        <translation>utilisateur %1, non chiffré</translation>
    </message>
    <message>
        <source>Train and inspect the nanny model that estimates the error before outcomes.</source>
        <translation>Entraîner et inspecter le modèle nanny qui estime l’erreur avant les résultats.</translation>
    </message>
    <message>
        <source>keep_firing_for needs Prometheus 2.42 or later (an older one refuses the whole file); an absent series resolves there, while the guard holds on an unknown figure.</source>
        <translation>keep_firing_for demande Prometheus 2.42 ou plus récent (une version antérieure refuse tout le fichier) ; une série absente y résout l’alerte, alors que la garde la maintient sur un chiffre inconnu.</translation>
    </message>
    <message>
        <source>, clearing since %1</source>
        <translation>, en résolution depuis %1</translation>
    </message>
    <message>
        <source>Resolve threshold, on the safe side of the threshold: a firing rule resolves only once the figure is past it (&quot;none&quot;: the threshold itself).</source>
        <translation>Seuil de résolution, du côté sûr du seuil : une règle déclenchée ne se résout qu’une fois la valeur passée au-delà (« none » : le seuil lui-même).</translation>
    </message>
    <message>
        <source>Seconds the figure must stay past the resolve threshold before the rule resolves.</source>
        <translation>Secondes pendant lesquelles la valeur doit rester au-delà du seuil de résolution avant que la règle ne se résolve.</translation>
    </message>
    <message>
        <source>Usage: mldeckctl alerts rules [--deployment D] [--json]
       mldeckctl alerts rules set --deployment D --rule ID [--threshold X] [--for S] [--window S] [--resolve X|none] [--keep-firing S] [--enable|--disable] [--reset|--delete]</source>
        <translation>Usage : mldeckctl alerts rules [--deployment D] [--json]
        mldeckctl alerts rules set --deployment D --rule ID [--threshold X] [--for S] [--window S] [--resolve X|none] [--keep-firing S] [--enable|--disable] [--reset|--delete]</translation>
    </message>
    <message>
        <source>Rows per reference chunk of the multivariate band (default: the current file&apos;s rows, at most a tenth of the reference&apos;s, at least 100).</source>
        <translation>Lignes par tranche de référence de la bande multivariée (par défaut : les lignes du fichier courant, au plus un dixième de celles de la référence, au moins 100).</translation>
    </message>
    <message>
        <source>--pca-chunk-rows must be a whole number of at least 1, not &quot;%1&quot;.</source>
        <translation>--pca-chunk-rows doit être un nombre entier d’au moins 1, et non « %1 ».</translation>
    </message>
    <message>
        <source>%1 (advisory: %2)</source>
        <translation>%1 (indicatives : %2)</translation>
    </message>
    <message>
        <source>  conditions combine: ML off on %1; halved on %2</source>
        <translation>  combinaison des conditions : arrêt du ML sur %1 ; moitié sur %2</translation>
    </message>
    <message>
        <source>  %1: resolves past %2 for %3 s</source>
        <translation>  %1 : se résout au-delà de %2 pendant %3 s</translation>
    </message>
    <message>
        <source>How the conditions that turn ML off combine: any (default), all or at-least-N.</source>
        <translation>Comment se combinent les conditions qui arrêtent le ML : any (par défaut), all ou at-least-N.</translation>
    </message>
    <message>
        <source>How the conditions that halve the percentage combine: any (default), all or at-least-N.</source>
        <translation>Comment se combinent les conditions qui divisent le pourcentage par deux : any (par défaut), all ou at-least-N.</translation>
    </message>
    <message>
        <source>Conditions reported but never acted on, e.g. max_latency_p95_ms (none: no advisory condition).</source>
        <translation>Conditions signalées mais sans action, par exemple max_latency_p95_ms (none : aucune condition indicative).</translation>
    </message>
    <message>
        <source>A condition&apos;s resolve threshold and keep-firing time, CONDITION:RESOLVE:SECONDS (e.g. max_mae:2.0:300; RESOLVE may be empty); CONDITION:none removes it. Repeatable.</source>
        <translation>Seuil de résolution et durée de maintien d’une condition, CONDITION:RÉSOLUTION:SECONDES (par exemple max_mae:2.0:300 ; RÉSOLUTION peut être vide) ; CONDITION:none les retire. Répétable.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a guard condition (known: %2).</source>
        <translation>« %1 » n’est pas une condition de la garde (connues : %2).</translation>
    </message>
    <message>
        <source>--hysteresis takes CONDITION:RESOLVE:SECONDS (e.g. max_mae:2.0:300), not &quot;%1&quot;.</source>
        <translation>--hysteresis prend CONDITION:RÉSOLUTION:SECONDES (par exemple max_mae:2.0:300), pas « %1 ».</translation>
    </message>
    <message>
        <source>Est. MAE (min)</source>
        <translation>MAE est. (min)</translation>
    </message>
    <message>
        <source>Golden dataset of %1: %2</source>
        <translation>Jeu de données de référence de %1 : %2</translation>
    </message>
    <message>
        <source>  rows        %1</source>
        <translation>  lignes      %1</translation>
    </message>
    <message>
        <source>  outcome     %1</source>
        <translation>  résultat    %1</translation>
    </message>
    <message>
        <source>  segments    %1</source>
        <translation>  segments    %1</translation>
    </message>
    <message>
        <source>  updated     %1 by %2</source>
        <translation>  mis à jour  %1 par %2</translation>
    </message>
    <message>
        <source>The golden CSV: the deployment&apos;s features, the outcome, optionally a segment.</source>
        <translation>Le CSV de référence : les variables du déploiement, le résultat, éventuellement un segment.</translation>
    </message>
    <message>
        <source>The outcome column (default: outcome).</source>
        <translation>La colonne du résultat (par défaut : outcome).</translation>
    </message>
    <message>
        <source>A column whose values are segments (non-regression per segment).</source>
        <translation>Une colonne dont les valeurs sont des segments (non-régression par segment).</translation>
    </message>
    <message>
        <source>Register (or replace) the deployment&apos;s golden dataset.</source>
        <translation>Enregistrer (ou remplacer) le jeu de données de référence du déploiement.</translation>
    </message>
    <message>
        <source>--file is required</source>
        <translation>--file est obligatoire</translation>
    </message>
    <message>
        <source>Show the deployment&apos;s golden dataset.</source>
        <translation>Afficher le jeu de données de référence du déploiement.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no golden dataset: no promotion checks configured.</source>
        <translation>Le déploiement « %1 » n’a pas de jeu de données de référence : aucun contrôle de promotion configuré.</translation>
    </message>
    <message>
        <source>Remove the deployment&apos;s golden dataset: its promotions are then unchecked.</source>
        <translation>Supprimer le jeu de données de référence du déploiement : ses promotions ne sont alors plus contrôlées.</translation>
    </message>
    <message>
        <source>Golden dataset %1 of %2 removed: no promotion checks configured.</source>
        <translation>Jeu de données de référence %1 de %2 supprimé : aucun contrôle de promotion configuré.</translation>
    </message>
    <message>
        <source>A JSON file of checks (resources/contract/model-checks.md).</source>
        <translation>Un fichier JSON de contrôles (resources/contract/model-checks.md).</translation>
    </message>
    <message>
        <source>Declare the deployment&apos;s model checks.</source>
        <translation>Déclarer les contrôles du modèle du déploiement.</translation>
    </message>
    <message>
        <source>--file: cannot read &quot;%1&quot;</source>
        <translation>--file : impossible de lire « %1 »</translation>
    </message>
    <message>
        <source>%1 is not a JSON object: %2</source>
        <translation>%1 n’est pas un objet JSON : %2</translation>
    </message>
    <message>
        <source>Model checks of %1 stored.</source>
        <translation>Contrôles du modèle de %1 enregistrés.</translation>
    </message>
    <message>
        <source>Show the deployment&apos;s declared model checks (defaults when none).</source>
        <translation>Afficher les contrôles du modèle déclarés du déploiement (les valeurs par défaut s’il n’y en a pas).</translation>
    </message>
    <message>
        <source>Usage: mldeckctl models golden &lt;set|show|remove&gt; --deployment D [options]

  set --file F [--target COLUMN] [--segment COLUMN]   register or replace it
  show                                                what is registered
  remove                                              no checks any more</source>
        <translation>Usage : mldeckctl models golden &lt;set|show|remove&gt; --deployment D [options]

  set --file F [--target COLONNE] [--segment COLONNE]   l’enregistrer ou le remplacer
  show                                                  ce qui est enregistré
  remove                                                plus aucun contrôle</translation>
    </message>
    <message>
        <source>Usage: mldeckctl models checks &lt;set|show&gt; --deployment D [options]

  set --file CHECKS.json   declare the checks
  show                     the declared checks (defaults when none)</source>
        <translation>Usage : mldeckctl models checks &lt;set|show&gt; --deployment D [options]

  set --file CHECKS.json   déclarer les contrôles
  show                     les contrôles déclarés (valeurs par défaut s’il n’y en a pas)</translation>
    </message>
    <message>
        <source>The version to check, or champion / challenger.</source>
        <translation>La version à contrôler, ou champion / challenger.</translation>
    </message>
    <message>
        <source>Run the deployment&apos;s model checks on one version against the champion (exit 1 when a check fails or none are configured).</source>
        <translation>Exécuter les contrôles du modèle du déploiement sur une version face au champion (code 1 si un contrôle échoue ou si aucun n’est configuré).</translation>
    </message>
    <message>
        <source>--model is required</source>
        <translation>--model est obligatoire</translation>
    </message>
    <message>
        <source>Model checks of %1@%2 against %3: %4</source>
        <translation>Contrôles du modèle de %1@%2 face à %3 : %4</translation>
    </message>
    <message>
        <source>no other champion</source>
        <translation>aucun autre champion</translation>
    </message>
    <message>
        <source>Model checks: %1</source>
        <translation>Contrôles du modèle : %1</translation>
    </message>
    <message>
        <source>Usage: mldeckctl models &lt;register|list|show|promote|restore-previous|archive|publish|golden|checks|check&gt; [options]   (mldeckctl models &lt;sub&gt; --help)

  register FILE       validate a TorchScript file, copy it into the model store, register it
  list                the versions of a deployment
  show VERSION        one version (or champion / challenger)
  promote VERSION     make it the champion (or --alias challenger); audited, published in Redis
  restore-previous    make the previous champion the champion again
  archive VERSION     archive a version (never the champion)
  publish             publish the champion in Redis again (after Redis was down)
  golden set|show|remove  the golden dataset the promotion checks run on
  checks set|show     the declared promotion checks
  check --model REF   run the promotion checks on one version (exit 1 when one fails)</source>
        <translation>Usage : mldeckctl models &lt;register|list|show|promote|restore-previous|archive|publish|golden|checks|check&gt; [options]   (mldeckctl models &lt;sous-commande&gt; --help)

  register FICHIER    valide un fichier TorchScript, le copie dans le magasin de modèles, l’enregistre
  list                les versions d’un déploiement
  show VERSION        une version (ou champion / challenger)
  promote VERSION     en fait le champion (ou --alias challenger) ; audité, publié dans Redis
  restore-previous    redonne le rôle de champion au champion précédent
  archive VERSION     archive une version (jamais le champion)
  publish             publie à nouveau le champion dans Redis (après une panne de Redis)
  golden set|show|remove  le jeu de données de référence des contrôles de promotion
  checks set|show     les contrôles de promotion déclarés
  check --model REF   exécute les contrôles de promotion sur une version (code 1 si l’un échoue)</translation>
    </message>
    <message>
        <source>Deployment:       %1</source>
        <translation>Déploiement :     %1</translation>
    </message>
    <message>
        <source>Champion:         %1</source>
        <translation>Champion :        %1</translation>
    </message>
    <message>
        <source>Nanny:            none trained</source>
        <translation>Nanny :           aucun entraîné</translation>
    </message>
    <message>
        <source>Nanny:            %1, for version %2%3</source>
        <translation>Nanny :           %1, pour la version %2%3</translation>
    </message>
    <message>
        <source> (not the current champion)</source>
        <translation> (pas le champion actuel)</translation>
    </message>
    <message>
        <source>Trained:          %1 by %2, on %3 (%4 rows)</source>
        <translation>Entraîné :        %1 par %2, sur %3 (%4 lignes)</translation>
    </message>
    <message>
        <source>Validation:       estimated MAE %1, realised MAE %2, per-row error %3 (%4 held-out rows)</source>
        <translation>Validation :      MAE estimée %1, MAE réalisée %2, erreur par ligne %3 (%4 lignes mises de côté)</translation>
    </message>
    <message>
        <source>Scored up to:     %1 (%2 predictions)</source>
        <translation>Évalué jusqu’à :  %1 (%2 prédictions)</translation>
    </message>
    <message>
        <source>Seed of the split and the weights (default 42).</source>
        <translation>Graine du découpage et des poids (42 par défaut).</translation>
    </message>
    <message>
        <source>Score the predictions of the last N minutes at once (default 60).</source>
        <translation>Évaluer tout de suite les prédictions des N dernières minutes (60 par défaut).</translation>
    </message>
    <message>
        <source>Train the nanny model of the deployment&apos;s champion on its drift reference (audited as nanny.train).</source>
        <translation>Entraîner le modèle nanny du champion du déploiement sur sa référence de dérive (audité comme nanny.train).</translation>
    </message>
    <message>
        <source>--seed: &quot;%1&quot; is not a whole number</source>
        <translation>--seed : « %1 » n’est pas un nombre entier</translation>
    </message>
    <message>
        <source>--backfill: &quot;%1&quot; is not a whole number of minutes from 0 to 10080</source>
        <translation>--backfill : « %1 » n’est pas un nombre entier de minutes de 0 à 10080</translation>
    </message>
    <message>
        <source>Show the deployment&apos;s nanny model and how far it has scored the log.</source>
        <translation>Afficher le modèle nanny du déploiement et jusqu’où il a évalué le journal.</translation>
    </message>
    <message>
        <source>Usage: mldeckctl nanny train|status|quality [--deployment D] [--json]

  train    train the nanny of the champion on the drift reference (--reason, --seed, --backfill MINUTES)
  status   the nanny in use, its validation figures and the scoring watermark
  quality  estimated against realised MAE per hour with outcomes (--range 7d, --out FILE.csv)</source>
        <translation>Usage : mldeckctl nanny train|status|quality [--deployment D] [--json]

  train    entraîner le modèle nanny du champion sur la référence de dérive (--reason, --seed, --backfill MINUTES)
  status   le modèle nanny utilisé, ses chiffres de validation et la position d’évaluation
  quality  MAE estimée face à la MAE réalisée, par heure avec résultats (--range 7d, --out FICHIER.csv)</translation>
    </message>
    <message>
        <source>Nanny quality of %1: estimated vs realised ML MAE per hour with outcomes</source>
        <translation>Qualité du modèle nanny de %1 : MAE du ML estimée et réalisée, par heure avec résultats réels</translation>
    </message>
    <message>
        <source>No hour of the range has both estimates and outcomes yet.</source>
        <translation>Aucune heure de la période n’a encore à la fois des estimations et des résultats réels.</translation>
    </message>
    <message>
        <source>%1  %2  %3  %4  %5  %6</source>
        <translation>%1  %2  %3  %4  %5  %6</translation>
    </message>
    <message>
        <source>Hour (UTC)</source>
        <translation>Heure (UTC)</translation>
    </message>
    <message>
        <source>Scored</source>
        <translation>Évaluées</translation>
    </message>
    <message>
        <source>Estimated</source>
        <translation>Estimée</translation>
    </message>
    <message>
        <source>Labelled</source>
        <translation>Étiquetées</translation>
    </message>
    <message>
        <source>Realised</source>
        <translation>Réelle</translation>
    </message>
    <message>
        <source>Diff</source>
        <translation>Écart</translation>
    </message>
    <message>
        <source>Mean absolute difference: %1</source>
        <translation>Écart absolu moyen : %1</translation>
    </message>
    <message>
        <source>Correlation: %1</source>
        <translation>Corrélation : %1</translation>
    </message>
    <message>
        <source>Correlation: needs 3 hours or more with varying MAE</source>
        <translation>Corrélation : il faut au moins 3 heures de MAE variable</translation>
    </message>
    <message>
        <source>Range ending now: N followed by m, h or d (default 7d).</source>
        <translation>Période se terminant maintenant : N suivi de m, h ou d (7d par défaut).</translation>
    </message>
    <message>
        <source>Also write the hours as CSV to this file.</source>
        <translation>Écrire aussi les heures en CSV dans ce fichier.</translation>
    </message>
    <message>
        <source>Show the nanny model&apos;s estimated MAE against the realised MAE, per hour that got its outcomes.</source>
        <translation>Affiche la MAE estimée par le modèle nanny face à la MAE réalisée, par heure ayant reçu ses résultats réels.</translation>
    </message>
    <message>
        <source>--range must be a number followed by m, h or d (at most 366 days), not &quot;%1&quot;.</source>
        <translation>--range doit être un nombre suivi de m, h ou d (366 jours au plus), pas « %1 ».</translation>
    </message>
    <message>
        <source>quality gates wait for %1 labelled predictions</source>
        <translation>les seuils de qualité attendent %1 prédictions étiquetées</translation>
    </message>
    <message>
        <source>quality gates wait for as many labelled predictions as the minimum samples</source>
        <translation>les seuils de qualité attendent autant de prédictions étiquetées que le minimum d’échantillons</translation>
    </message>
    <message>
        <source>waiting for: %1</source>
        <translation>en attente de : %1</translation>
    </message>
    <message>
        <source>--step-combine takes PERCENT:MODE[:ADVISORY,...] (e.g. 50:at-least-2), not &quot;%1&quot;.</source>
        <translation>--step-combine prend POURCENT:MODE[:INDICATIFS,...] (par exemple 50:at-least-2), pas « %1 ».</translation>
    </message>
    <message>
        <source>Labelled predictions a quality gate waits for (none: as many as the minimum samples).</source>
        <translation>Prédictions étiquetées qu’attend un seuil de qualité (none : autant que le minimum d’échantillons).</translation>
    </message>
    <message>
        <source>Regression: the nanny model&apos;s estimated MAE at most, known before outcomes (none: no such gate).</source>
        <translation>Régression : MAE estimée par le modèle nanny au plus, connue avant les résultats (none : pas de tel critère).</translation>
    </message>
    <message>
        <source>How a step&apos;s metric gates combine: all, any or at-least-N (samples and soak are always required).</source>
        <translation>Comment se combinent les critères de métriques d’une étape : all, any ou at-least-N (échantillons et durée toujours exigés).</translation>
    </message>
    <message>
        <source>Gates shown but never deciding, e.g. max_latency_p95_ms,min_r2 (none: no advisory gate).</source>
        <translation>Critères affichés mais jamais décisifs, par exemple max_latency_p95_ms,min_r2 (none : aucun critère indicatif).</translation>
    </message>
    <message>
        <source>A step&apos;s own combination, PERCENT:MODE[:ADVISORY,...] (e.g. 50:at-least-2); PERCENT:none removes it. Repeatable.</source>
        <translation>La combinaison propre d’une étape, POURCENT:MODE[:INDICATIFS,...] (par exemple 50:at-least-2) ; POURCENT:none la retire. Répétable.</translation>
    </message>
    <message numerus="yes">
        <source>%1 got %2 of %n image(s) wrong (listed by --json).</source>
        <translation>
            <numerusform>%1 s’est trompé sur %2 image sur %n (listées par --json).</numerusform>
            <numerusform>%1 s’est trompé sur %2 images sur %n (listées par --json).</numerusform>
        </translation>
    </message>
    <message>
        <source>Skipped %1: %2</source>
        <translation>Écartée %1 : %2</translation>
    </message>
    <message numerus="yes">
        <source>… and %n more skipped image(s); --json lists all.</source>
        <translation>
            <numerusform>… et %n autre image ignorée ; --json les liste toutes.</numerusform>
            <numerusform>… et %n autres images ignorées ; --json les liste toutes.</numerusform>
        </translation>
    </message>
    <message>
        <source>Image models: a labelled folder, one subfolder per class named as the class.</source>
        <translation>Modèles d’images : un dossier étiqueté, un sous-dossier par classe nommé comme la classe.</translation>
    </message>
    <message>
        <source>LibTorch threads, and for image models also the image decoding threads (default: LibTorch&apos;s choice, one decoding thread).</source>
        <translation>Fils LibTorch et, pour les modèles d’images, fils de décodage des images (par défaut : le choix de LibTorch, un fil de décodage).</translation>
    </message>
    <message>
        <source>Evaluates one model on a CSV file, a labelled image folder or a deployment&apos;s logged predictions.</source>
        <translation>Évalue un modèle sur un fichier CSV, un dossier d’images étiquetées ou les prédictions journalisées d’un déploiement.</translation>
    </message>
    <message>
        <source>Give one of --data FILE, --images DIR or --window PERIOD.</source>
        <translation>Donnez une seule option parmi --data FICHIER, --images DOSSIER ou --window PÉRIODE.</translation>
    </message>
    <message>
        <source>  input        images</source>
        <translation>  entrée       images</translation>
    </message>
    <message>
        <source>  images       unreadable configuration: %1</source>
        <translation>  images       configuration illisible : %1</translation>
    </message>
    <message>
        <source>  image store  %1 %2</source>
        <translation>  stockage     %1 %2</translation>
    </message>
    <message>
        <source>  reference    %1</source>
        <translation>  référence    %1</translation>
    </message>
    <message>
        <source>  holdout      %1</source>
        <translation>  validation   %1</translation>
    </message>
    <message>
        <source>The model file takes images: an image deployment (--input image) serves it.</source>
        <translation>Le fichier de modèle prend des images : un déploiement d’images (--input image) le sert.</translation>
    </message>
    <message>
        <source>--image-store, --reference-set and --holdout-set are for an image deployment (--input image).</source>
        <translation>--image-store, --reference-set et --holdout-set sont pour un déploiement d’images (--input image).</translation>
    </message>
    <message>
        <source>An image deployment needs its image store: give --image-store DIR, the folder its logged image keys resolve in.</source>
        <translation>Un déploiement d’images a besoin de son stockage d’images : donnez --image-store DOSSIER, le dossier où se résolvent ses clés d’image journalisées.</translation>
    </message>
    <message>
        <source>What the model takes: features (a row of features) or image (default: the model&apos;s, else features). An image deployment is a classification deployment.</source>
        <translation>Ce que prend le modèle : features (une ligne de variables) ou image (par défaut : celle du modèle, sinon features). Un déploiement d’images est un déploiement de classification.</translation>
    </message>
    <message>
        <source>image: the folder the logged image keys resolve in.</source>
        <translation>image : le dossier où se résolvent les clés d’image journalisées.</translation>
    </message>
    <message>
        <source>image: the reference training set, a folder with one subfolder per class.</source>
        <translation>image : le jeu d’entraînement de référence, un dossier avec un sous-dossier par classe.</translation>
    </message>
    <message>
        <source>image: the fixed holdout, a folder with one subfolder per class (not the reference set).</source>
        <translation>image : le jeu de test fixe, un dossier avec un sous-dossier par classe (pas le jeu de référence).</translation>
    </message>
    <message>
        <source>--input must be features or image, not &quot;%1&quot;.</source>
        <translation>--input doit valoir features ou image, pas « %1 ».</translation>
    </message>
    <message>
        <source>%1, images</source>
        <translation>%1, images</translation>
    </message>
    <message>
        <source>The image deployment.</source>
        <translation>Le déploiement d’images.</translation>
    </message>
    <message>
        <source>Show the image configuration of an image deployment: its image store, reference set and holdout set.</source>
        <translation>Afficher la configuration des images d’un déploiement d’images : son stockage d’images, son jeu de référence et son jeu de test fixe.</translation>
    </message>
    <message>
        <source>The folder the logged image keys resolve in.</source>
        <translation>Le dossier où se résolvent les clés d’image journalisées.</translation>
    </message>
    <message>
        <source>The reference training set (one subfolder per class); &quot;&quot; for none.</source>
        <translation>Le jeu d’entraînement de référence (un sous-dossier par classe) ; &quot;&quot; pour aucun.</translation>
    </message>
    <message>
        <source>The fixed holdout (one subfolder per class); &quot;&quot; for none.</source>
        <translation>Le jeu de test fixe (un sous-dossier par classe) ; &quot;&quot; pour aucun.</translation>
    </message>
    <message>
        <source>Change the image configuration of a deployment (the folders are checked first; audited). Options not given keep their value.</source>
        <translation>Modifier la configuration des images d’un déploiement (les dossiers sont vérifiés d’abord ; audité). Les options non données gardent leur valeur.</translation>
    </message>
    <message>
        <source>Nothing to change: give --image-store, --reference-set or --holdout-set.</source>
        <translation>Rien à modifier : donnez --image-store, --reference-set ou --holdout-set.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no image store yet: give --image-store DIR.</source>
        <translation>Le déploiement « %1 » n’a pas encore de stockage d’images : donnez --image-store DOSSIER.</translation>
    </message>
    <message>
        <source>Changed the image configuration of deployment &quot;%1&quot;.</source>
        <translation>Configuration des images du déploiement « %1 » modifiée.</translation>
    </message>
    <message>
        <source>Usage: mldeckctl deployments images &lt;show|set&gt; NAME [options]

  show  the image store, reference set and holdout set of an image deployment [--json]
  set   change them: --image-store DIR, --reference-set DIR, --holdout-set DIR [--reason]</source>
        <translation>Usage : mldeckctl deployments images &lt;show|set&gt; NOM [options]

  show  affiche le magasin d’images, l’ensemble de référence et l’ensemble de test d’un déploiement d’images [--json]
  set   les modifie : --image-store DOSSIER, --reference-set DOSSIER, --holdout-set DOSSIER [--reason]</translation>
    </message>
    <message>
        <source>gates: samples and soak always; of the others, %1 must pass (lower case: advisory)</source>
        <translation>critères : échantillons et durée toujours ; parmi les autres, %1 doivent être satisfaits (en minuscules : indicatifs)</translation>
    </message>
    <message>
        <source>Images: %1 labelled in the window (%2), %3 in the reference set, %4 in the holdout set</source>
        <translation>Images : %1 étiquetées dans la fenêtre (%2), %3 dans l’ensemble de référence, %4 dans l’ensemble de test</translation>
    </message>
    <message>
        <source>Skipped images: %1</source>
        <translation>Images ignorées : %1</translation>
    </message>
    <message>
        <source>An image deployment: mirror half of the training images (default: the retrain settings&apos;).</source>
        <translation>Déploiement d’images : retourner en miroir la moitié des images d’entraînement (par défaut : selon les réglages de réentraînement).</translation>
    </message>
    <message>
        <source>An image deployment: no mirrored training images (default: the retrain settings&apos;).</source>
        <translation>Déploiement d’images : aucune image d’entraînement retournée en miroir (par défaut : selon les réglages de réentraînement).</translation>
    </message>
    <message>
        <source>An image deployment: the largest share of each side cut off a training image (0 = no crops; default: the retrain settings&apos;).</source>
        <translation>Déploiement d’images : la plus grande part de chaque côté coupée d’une image d’entraînement (0 = aucun recadrage ; par défaut : selon les réglages de réentraînement).</translation>
    </message>
    <message>
        <source>--flip and --no-flip exclude each other</source>
        <translation>--flip et --no-flip s’excluent mutuellement</translation>
    </message>
    <message>
        <source>--max-crop: &quot;%1&quot; is not a number</source>
        <translation>--max-crop : « %1 » n’est pas un nombre</translation>
    </message>
    <message>
        <source>Play a scenario: drift, errors, latency, degraded, weather-down, (a classifier) calibration or (an image deployment) image-drift, as NAME[@START][+DURATION]; repeatable.</source>
        <translation>Jouer un scénario : drift, errors, latency, degraded, weather-down, (pour un classifieur) calibration ou (pour un déploiement d’images) image-drift, sous la forme NOM[@DÉBUT][+DURÉE] ; répétable.</translation>
    </message>
    <message>
        <source>The model file takes tabular features: an image deployment needs an image model.</source>
        <translation>Le fichier de modèle prend des variables tabulaires : un déploiement d’images demande un modèle d’images.</translation>
    </message>
    <message>
        <source>The image store is required: --image-store cannot be empty.</source>
        <translation>Le stockage d’images est requis : --image-store ne peut pas être vide.</translation>
    </message>
    <message>
        <source>--pg-read carries a password, which other users of this machine can read in the process list: leave it out (the primary&apos;s is used), or set MLDECK_PG_READ_URL.</source>
        <translation>--pg-read contient un mot de passe, que les autres utilisateurs de cette machine peuvent lire dans la liste des processus : omettez-le (celui du primaire est utilisé) ou définissez MLDECK_PG_READ_URL.</translation>
    </message>
    <message>
        <source>Hot standby for the heavy reads (default: $MLDECK_PG_READ_URL; none: the primary).</source>
        <translation>Serveur secondaire (hot standby) pour les lectures lourdes (par défaut : $MLDECK_PG_READ_URL ; aucun : le primaire).</translation>
    </message>
    <message>
        <source>Usage: mldeckctl deployments &lt;create|list|show|set|images|retention|archive&gt; [options]   (mldeckctl deployments &lt;sub&gt; --help)

  create   create a deployment (--task [--classes a,b], or --from-model FILE; an image deployment: --input image --image-store DIR [--reference-set DIR --holdout-set DIR])
  list     list the active deployments [--all]
  show     show one deployment
  set      change its description, target or decision threshold
  images   show or set the image configuration of an image deployment
  retention  show or set how long its raw rows are kept (--days N | --default)
  archive  hide it from selectors and the guard, keep its history (--reason)</source>
        <translation>Usage : mldeckctl deployments &lt;create|list|show|set|images|retention|archive&gt; [options]   (mldeckctl deployments &lt;sous-commande&gt; --help)

  create   crée un déploiement (--task [--classes a,b], ou --from-model FICHIER ; un déploiement d’images : --input image --image-store DOSSIER [--reference-set DOSSIER --holdout-set DOSSIER])
  list     liste les déploiements actifs [--all]
  show     affiche un déploiement
  set      modifie sa description, sa cible ou son seuil de décision
  images   affiche ou modifie la configuration d’images d’un déploiement d’images
  retention  affiche ou fixe la durée de conservation de ses lignes brutes (--days N | --default)
  archive  le masque des sélecteurs et de la garde, conserve son historique (--reason)</translation>
    </message>
    <message>
        <source>Read the raw rows even for a window longer than a day (default: such a window is read from the hourly feature sketches).</source>
        <translation>Lire les lignes brutes même pour une fenêtre de plus d’un jour (par défaut, une telle fenêtre est lue à partir des esquisses horaires des variables).</translation>
    </message>
    <message numerus="yes">
        <source>Window read from %n hourly sketch(es) and %1 raw rows: each figure is shown with the interval holding the exact one; a verdict is made only when that interval is on one side of the threshold (target drift is not sketched).</source>
        <translation>
            <numerusform>Fenêtre lue à partir de %n esquisse horaire et %1 lignes brutes : chaque valeur est donnée avec l’intervalle qui contient la valeur exacte ; un verdict n’est rendu que si cet intervalle est d’un seul côté du seuil (la dérive de la cible n’est pas esquissée).</numerusform>
            <numerusform>Fenêtre lue à partir de %n esquisses horaires et %1 lignes brutes : chaque valeur est donnée avec l’intervalle qui contient la valeur exacte ; un verdict n’est rendu que si cet intervalle est d’un seul côté du seuil (la dérive de la cible n’est pas esquissée).</numerusform>
        </translation>
    </message>
    <message>
        <source>Deployment to sketch.</source>
        <translation>Déploiement à esquisser.</translation>
    </message>
    <message>
        <source>Sketches the complete hours of a deployment&apos;s log for drift over long windows (the guard does it every round).</source>
        <translation>Esquisse les heures complètes du journal d’un déploiement pour la dérive sur de longues fenêtres (la garde le fait à chaque tour).</translation>
    </message>
    <message>
        <source>Deployment %1 has logged nothing yet: nothing to sketch.</source>
        <translation>Le déploiement %1 n’a encore rien journalisé : rien à esquisser.</translation>
    </message>
    <message numerus="yes">
        <source>Deployment %1: %n hour(s) sketched (%2 predictions); sketched up to %3.</source>
        <translation>
            <numerusform>Déploiement %1 : %n heure esquissée (%2 prédictions) ; esquissé jusqu’à %3.</numerusform>
            <numerusform>Déploiement %1 : %n heures esquissées (%2 prédictions) ; esquissé jusqu’à %3.</numerusform>
        </translation>
    </message>
    <message>
        <source>       mldeckctl drift sketch --deployment D [--json]</source>
        <translation>       mldeckctl drift sketch --deployment D [--json]</translation>
    </message>
    <message numerus="yes">
        <source>%n outcomes are not counted in these figures: they were queued on the primary, which applies them now (the next read counts them).</source>
        <translation>
            <numerusform>%n résultat n’est pas compté dans ces chiffres : il était en attente sur le primaire, qui l’applique maintenant (la prochaine lecture le comptera).</numerusform>
            <numerusform>%n résultats ne sont pas comptés dans ces chiffres : ils étaient en attente sur le primaire, qui les applique maintenant (la prochaine lecture les comptera).</numerusform>
        </translation>
    </message>
    <message>
        <source>Raw rows before %1 are gone (retention): the figures before it come from the kept aggregates, at hour resolution where minute rows were folded.</source>
        <translation>Les lignes brutes antérieures à %1 ont été supprimées (rétention) : les chiffres d’avant proviennent des agrégats conservés, à la résolution horaire là où les agrégats par minute ont été repliés.</translation>
    </message>
    <message>
        <source>Keep its raw predictions, outcomes and feedback this many days (%1 to %2).</source>
        <translation>Conserver ses prédictions, résultats et retours bruts pendant ce nombre de jours (%1 à %2).</translation>
    </message>
    <message numerus="yes">
        <source>Back to the default retention (%n day(s)).</source>
        <translation>
            <numerusform>Revenir à la rétention par défaut (%n jour).</numerusform>
            <numerusform>Revenir à la rétention par défaut (%n jours).</numerusform>
        </translation>
    </message>
    <message>
        <source>Show or set how long the raw rows of a deployment are kept; the aggregates are kept forever (a change is audited).</source>
        <translation>Afficher ou fixer la durée de conservation des lignes brutes d’un déploiement ; les agrégats sont conservés pour toujours (toute modification est auditée).</translation>
    </message>
    <message>
        <source>Give --days N or --default, not both.</source>
        <translation>Donnez --days N ou --default, pas les deux.</translation>
    </message>
    <message>
        <source>--days must be a whole number of days, not &quot;%1&quot;.</source>
        <translation>--days doit être un nombre entier de jours, pas « %1 ».</translation>
    </message>
    <message>
        <source>Retention of &quot;%1&quot; not changed: %2.</source>
        <translation>Rétention de « %1 » non modifiée : %2.</translation>
    </message>
    <message numerus="yes">
        <source>Deployment &quot;%1&quot; keeps its raw rows %n day(s).</source>
        <translation>
            <numerusform>Le déploiement « %1 » conserve ses lignes brutes pendant %n jour.</numerusform>
            <numerusform>Le déploiement « %1 » conserve ses lignes brutes pendant %n jours.</numerusform>
        </translation>
    </message>
    <message>
        <source>Raw rows before %1 are gone (retention); the aggregates are kept.</source>
        <translation>Les lignes brutes antérieures à %1 ont été supprimées (rétention) ; les agrégats sont conservés.</translation>
    </message>
    <message>
        <source>Minute aggregates before %1 are folded into hours.</source>
        <translation>Les agrégats par minute antérieurs à %1 sont repliés en heures.</translation>
    </message>
    <message>
        <source>master      %1</source>
        <translation>maître      %1</translation>
    </message>
    <message>
        <source>sentinels   %1 of %2 reached, %3 known to them</source>
        <translation>sentinelles %1 sur %2 jointes, %3 connues d’elles</translation>
    </message>
    <message>
        <source>replicas    none connected: writes are not confirmed by a replica</source>
        <translation>réplicas    aucun connecté : les écritures ne sont pas confirmées par un réplica</translation>
    </message>
    <message>
        <source>replica     %1 %2, offset %3, %4 bytes behind</source>
        <translation>réplica     %1 %2, position %3, %4 octets de retard</translation>
    </message>
    <message>
        <source>problem     %1</source>
        <translation>problème    %1</translation>
    </message>
    <message>
        <source>Reads</source>
        <translation>Lectures</translation>
    </message>
    <message numerus="yes">
        <source>%n sketched hour(s) sketched again: predictions were logged into them after they were sketched.</source>
        <translation>
            <numerusform>%n heure déjà esquissée esquissée à nouveau : des prédictions y ont été journalisées après son esquisse.</numerusform>
            <numerusform>%n heures déjà esquissées esquissées à nouveau : des prédictions y ont été journalisées après leur esquisse.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::config</name>
    <message>
        <source>The profile needs a name.</source>
        <translation>Le profil doit avoir un nom.</translation>
    </message>
    <message>
        <source>The profile name &quot;%1&quot; must not start or end with spaces.</source>
        <translation>Le nom de profil « %1 » ne doit ni commencer ni finir par des espaces.</translation>
    </message>
    <message>
        <source>The profile name is longer than %1 characters.</source>
        <translation>Le nom du profil dépasse %1 caractères.</translation>
    </message>
    <message>
        <source>The profile name must not contain control characters.</source>
        <translation>Le nom du profil ne doit pas contenir de caractères de contrôle.</translation>
    </message>
    <message>
        <source>Redis host &quot;%1&quot; is not a valid host name or address.</source>
        <translation>L’hôte Redis « %1 » n’est pas un nom d’hôte ou une adresse valide.</translation>
    </message>
    <message>
        <source>Redis port %1 is out of range (1-65535).</source>
        <translation>Le port Redis %1 est hors limites (1-65535).</translation>
    </message>
    <message>
        <source>Redis database number %1 must not be negative.</source>
        <translation>Le numéro de base Redis %1 ne doit pas être négatif.</translation>
    </message>
    <message>
        <source>Redis timeout must be positive.</source>
        <translation>Le délai d’attente Redis doit être positif.</translation>
    </message>
    <message>
        <source>PostgreSQL host &quot;%1&quot; is not a valid host name or address.</source>
        <translation>L’hôte PostgreSQL « %1 » n’est pas un nom d’hôte ou une adresse valide.</translation>
    </message>
    <message>
        <source>PostgreSQL port %1 is out of range (1-65535).</source>
        <translation>Le port PostgreSQL %1 est hors limites (1-65535).</translation>
    </message>
    <message>
        <source>The PostgreSQL database name is empty.</source>
        <translation>Le nom de la base PostgreSQL est vide.</translation>
    </message>
    <message>
        <source>PostgreSQL sslmode &quot;%1&quot; is not one of disable, allow, prefer, require, verify-ca, verify-full.</source>
        <translation>Le sslmode PostgreSQL « %1 » n’est pas l’un de disable, allow, prefer, require, verify-ca, verify-full.</translation>
    </message>
    <message>
        <source>PostgreSQL connect timeout must not be negative.</source>
        <translation>Le délai de connexion PostgreSQL ne doit pas être négatif.</translation>
    </message>
    <message>
        <source>Not a Redis URL: &quot;%1&quot; (expected redis://[user:password@]host[:port][/db]).</source>
        <translation>Pas une URL Redis : « %1 » (attendu : redis://[utilisateur:motdepasse@]hôte[:port][/base]).</translation>
    </message>
    <message>
        <source>Redis port out of range in &quot;%1&quot;.</source>
        <translation>Port Redis hors limites dans « %1 ».</translation>
    </message>
    <message>
        <source>Redis database must be a number in &quot;%1&quot;.</source>
        <translation>La base Redis doit être un nombre dans « %1 ».</translation>
    </message>
    <message>
        <source>Not a PostgreSQL URL: &quot;%1&quot; (expected postgresql://user[:password]@host[:port]/database).</source>
        <translation>Pas une URL PostgreSQL : « %1 » (attendu : postgresql://utilisateur[:motdepasse]@hôte[:port]/base).</translation>
    </message>
    <message>
        <source>PostgreSQL port out of range in &quot;%1&quot;.</source>
        <translation>Port PostgreSQL hors limites dans « %1 ».</translation>
    </message>
    <message>
        <source>The CA file &quot;%1&quot; must be given with its full path.</source>
        <translation>Le fichier CA « %1 » doit être indiqué avec son chemin complet.</translation>
    </message>
    <message>
        <source>The CA file %1 does not exist.</source>
        <translation>Le fichier CA %1 n’existe pas.</translation>
    </message>
    <message>
        <source>The CA file %1 is not a readable file.</source>
        <translation>Le fichier CA %1 n’est pas un fichier lisible.</translation>
    </message>
    <message>
        <source>sslmode %1 checks the server&apos;s certificate against a CA file: choose one (no %2 either).</source>
        <translation>Le sslmode %1 vérifie le certificat du serveur avec un fichier CA : choisissez-en un (%2 n’existe pas non plus).</translation>
    </message>
    <message>
        <source>The PostgreSQL URL &quot;%1&quot; carries password= in its query: give the password as user:password@host, in MLDECK_PG_URL, or in ~/.pgpass.</source>
        <translation>L’URL PostgreSQL « %1 » porte password= dans sa requête : donnez le mot de passe sous la forme utilisateur:motdepasse@hôte, dans MLDECK_PG_URL ou dans ~/.pgpass.</translation>
    </message>
    <message>
        <source>Redis master &quot;%1&quot; needs at least one sentinel.</source>
        <translation>Le maître Redis « %1 » a besoin d’au moins une sentinelle.</translation>
    </message>
    <message>
        <source>Redis sentinel &quot;%1&quot; is not a valid host and port.</source>
        <translation>La sentinelle Redis « %1 » n’est pas un hôte et un port valides.</translation>
    </message>
    <message>
        <source>The read replica&apos;s maximum lag must be at least 1 s, not %1.</source>
        <translation>Le retard maximal de la réplique de lecture doit être d’au moins 1 s, pas %1.</translation>
    </message>
    <message>
        <source>Read replica host &quot;%1&quot; is not a valid host name or address.</source>
        <translation>L’hôte « %1 » de la réplique de lecture n’est pas un nom d’hôte ou une adresse valide.</translation>
    </message>
    <message>
        <source>Read replica port %1 is out of range (1-65535).</source>
        <translation>Le port %1 de la réplique de lecture est hors limites (1-65535).</translation>
    </message>
    <message>
        <source>The read replica&apos;s database name is empty.</source>
        <translation>Le nom de base de données de la réplique de lecture est vide.</translation>
    </message>
    <message>
        <source>Read replica sslmode &quot;%1&quot; is not one of disable, allow, prefer, require, verify-ca, verify-full.</source>
        <translation>Le sslmode « %1 » de la réplique de lecture n’est pas l’un de disable, allow, prefer, require, verify-ca, verify-full.</translation>
    </message>
    <message>
        <source>The read replica&apos;s CA file &quot;%1&quot; must be given with its full path.</source>
        <translation>Le fichier d’AC « %1 » de la réplique de lecture doit être donné avec son chemin complet.</translation>
    </message>
    <message>
        <source>expected redis-sentinel://[user:password@]host1[:26379],host2[:26379]/MASTERNAME[?db=N]</source>
        <translation>attendu redis-sentinel://[utilisateur:mot_de_passe@]hôte1[:26379],hôte2[:26379]/NOM_DU_MAÎTRE[?db=N]</translation>
    </message>
    <message>
        <source>Not a Redis Sentinel URL: &quot;%1&quot;: %2 (%3).</source>
        <translation>Ce n’est pas une URL Redis Sentinel : « %1 » : %2 (%3).</translation>
    </message>
    <message>
        <source>no sentinel given</source>
        <translation>aucune sentinelle indiquée</translation>
    </message>
    <message>
        <source>unclosed [ in sentinel &quot;%1&quot;</source>
        <translation>[ non refermé dans la sentinelle « %1 »</translation>
    </message>
    <message>
        <source>bad sentinel &quot;%1&quot;</source>
        <translation>sentinelle « %1 » invalide</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a host name or address</source>
        <translation>« %1 » n’est ni un nom d’hôte ni une adresse</translation>
    </message>
    <message>
        <source>sentinel port &quot;%1&quot; is not a number from 1 to 65535</source>
        <translation>le port de sentinelle « %1 » n’est pas un nombre de 1 à 65535</translation>
    </message>
    <message>
        <source>no master name after the sentinels</source>
        <translation>aucun nom de maître après les sentinelles</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a master name</source>
        <translation>« %1 » n’est pas un nom de maître</translation>
    </message>
    <message>
        <source>unknown option &quot;%1&quot;</source>
        <translation>option « %1 » inconnue</translation>
    </message>
    <message>
        <source>the database must be a number</source>
        <translation>la base de données doit être un nombre</translation>
    </message>
    <message>
        <source>Read replica: %1</source>
        <translation>Réplique de lecture : %1</translation>
    </message>
    <message>
        <source>MLDECK_PG_READ_MAX_LAG must be a number of seconds, not &quot;%1&quot;.</source>
        <translation>MLDECK_PG_READ_MAX_LAG doit être un nombre de secondes, pas « %1 ».</translation>
    </message>
</context>
<context>
    <name>mldeck::domain</name>
    <message>
        <source>%1 predictions</source>
        <translation>%1 prédictions</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <source> for %1 s</source>
        <translation> pendant %1 s</translation>
    </message>
    <message>
        <source>no predictions in %1 s%2</source>
        <translation>aucune prédiction en %1 s%2</translation>
    </message>
    <message>
        <source>a backend dependency in fallback for more than %1%2</source>
        <translation>une dépendance du backend en mode dégradé depuis plus de %1%2</translation>
    </message>
    <message>
        <source>failure rate</source>
        <translation>taux d’échec</translation>
    </message>
    <message>
        <source>ML latency p95</source>
        <translation>latence p95 du ML</translation>
    </message>
    <message>
        <source>ML MAE</source>
        <translation>MAE du ML</translation>
    </message>
    <message>
        <source>ML R²</source>
        <translation>R² du ML</translation>
    </message>
    <message>
        <source>%1 %2 %3 over %4 s%5</source>
        <translation>%1 %2 %3 sur %4 s%5</translation>
    </message>
    <message>
        <source>Rule id &quot;%1&quot; must be 1 to 64 lower-case letters, digits, &apos;_&apos;, &apos;.&apos; or &apos;-&apos;.</source>
        <translation>L’identifiant de règle « %1 » doit compter de 1 à 64 caractères parmi les minuscules, les chiffres, « _ », « . » et « - ».</translation>
    </message>
    <message>
        <source>Unknown alert rule key &quot;%1&quot;.</source>
        <translation>Clé de règle d’alerte « %1 » inconnue.</translation>
    </message>
    <message>
        <source>An alert rule id must be a string.</source>
        <translation>Un identifiant de règle d’alerte doit être une chaîne.</translation>
    </message>
    <message>
        <source>Rule %1: &quot;%2&quot; must be a number.</source>
        <translation>Règle %1 : « %2 » doit être un nombre.</translation>
    </message>
    <message>
        <source>Rule %1: &quot;%2&quot; must be a whole number of seconds.</source>
        <translation>Règle %1 : « %2 » doit être un nombre entier de secondes.</translation>
    </message>
    <message>
        <source>Rule %1: comparison must be &quot;&gt;&quot; or &quot;&lt;&quot;.</source>
        <translation>Règle %1 : comparison doit valoir « &gt; » ou « &lt; ».</translation>
    </message>
    <message>
        <source>Rule %1: severity must be a string.</source>
        <translation>Règle %1 : severity doit être une chaîne.</translation>
    </message>
    <message>
        <source>Rule %1: &quot;enabled&quot; must be true or false.</source>
        <translation>Règle %1 : « enabled » doit valoir true ou false.</translation>
    </message>
    <message>
        <source>Each alert rule must be a JSON object.</source>
        <translation>Chaque règle d’alerte doit être un objet JSON.</translation>
    </message>
    <message>
        <source>Alert rule id &quot;%1&quot; appears twice.</source>
        <translation>L’identifiant de règle d’alerte « %1 » apparaît deux fois.</translation>
    </message>
    <message>
        <source>The webhook URL must be an http:// or https:// address, not &quot;%1&quot;.</source>
        <translation>L’URL du webhook doit être une adresse http:// ou https://, pas « %1 ».</translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be a number.</source>
        <translation>L’objectif d’indicateur « %1 » doit être un nombre.</translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be above %2, not %3.</source>
        <translation>L’objectif d’indicateur « %1 » doit être supérieur à %2, pas %3.</translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be at most %2, not %3.</source>
        <translation>L’objectif d’indicateur « %1 » doit valoir au plus %2, pas %3.</translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be between %2 and %3, not %4.</source>
        <translation>L’objectif d’indicateur « %1 » doit être compris entre %2 et %3, pas %4.</translation>
    </message>
    <message>
        <source>KPI target &quot;%1&quot; must be a whole number of minutes from 1 to %2.</source>
        <translation>L’objectif d’indicateur « %1 » doit être un nombre entier de minutes de 1 à %2.</translation>
    </message>
    <message>
        <source>Retrain setting &quot;%1&quot; must be a number from %2 to %3.</source>
        <translation>Le réglage de réentraînement « %1 » doit être un nombre de %2 à %3.</translation>
    </message>
    <message>
        <source>Retrain setting &quot;%1&quot; must be a whole number.</source>
        <translation>Le réglage de réentraînement « %1 » doit être un entier.</translation>
    </message>
    <message>
        <source>Retrain setting &quot;%1&quot; must be true or false.</source>
        <translation>Le réglage de réentraînement « %1 » doit valoir true ou false.</translation>
    </message>
    <message>
        <source>A failure rate threshold is a share between 0 and 1 (0.2 = 20 %), not %1.</source>
        <translation>Un seuil de taux d’échec est une part entre 0 et 1 (0.2 = 20 %), pas %1.</translation>
    </message>
    <message>
        <source>The threshold cannot be negative (%1).</source>
        <translation>Le seuil ne peut pas être négatif (%1).</translation>
    </message>
    <message>
        <source>R² is at most 1, so a threshold of %1 always fires.</source>
        <translation>Le R² vaut au plus 1 : un seuil de %1 se déclenche toujours.</translation>
    </message>
    <message>
        <source>Rule %1: %2</source>
        <translation>Règle %1 : %2</translation>
    </message>
    <message>
        <source>The threshold must be a finite number.</source>
        <translation>Le seuil doit être un nombre fini.</translation>
    </message>
    <message>
        <source>The window must be between %1 and %2 seconds, not %3.</source>
        <translation>La fenêtre doit être comprise entre %1 et %2 secondes, pas %3.</translation>
    </message>
    <message>
        <source>The pending period must be between 0 and %1 seconds, not %2.</source>
        <translation>La période d’attente doit être comprise entre 0 et %1 secondes, pas %2.</translation>
    </message>
    <message>
        <source>Unknown severity &quot;%1&quot;: use info, warning or critical.</source>
        <translation>Gravité « %1 » inconnue : utilisez info, warning ou critical.</translation>
    </message>
    <message>
        <source>no data</source>
        <translation>aucune donnée</translation>
    </message>
    <message>
        <source>ML accuracy</source>
        <translation>Exactitude du ML</translation>
    </message>
    <message>
        <source>ML F1</source>
        <translation>F1 du ML</translation>
    </message>
    <message>
        <source>ML log-loss</source>
        <translation>Log-loss du ML</translation>
    </message>
    <message>
        <source>ML calibration error (ECE)</source>
        <translation>Erreur de calibration du ML (ECE)</translation>
    </message>
    <message>
        <source>ML estimated accuracy</source>
        <translation>Exactitude estimée du ML</translation>
    </message>
    <message>
        <source>Rule %1: %2 is a regression metric; this deployment is a classifier.</source>
        <translation>Règle %1 : %2 est une métrique de régression ; ce déploiement est un classifieur.</translation>
    </message>
    <message>
        <source>Rule %1: %2 is a classification metric; this deployment is not a classifier.</source>
        <translation>Règle %1 : %2 est une métrique de classification ; ce déploiement n’est pas un classifieur.</translation>
    </message>
    <message>
        <source>This metric is a share between 0 and 1 (0.9 = 90 %), not %1.</source>
        <translation>Cette métrique est une proportion entre 0 et 1 (0.9 = 90 %), pas %1.</translation>
    </message>
    <message>
        <source>Retrain setting &quot;classificationMetric&quot; must be &quot;accuracy&quot; or &quot;log_loss&quot;.</source>
        <translation>Le réglage de réentraînement « classificationMetric » doit valoir « accuracy » ou « log_loss ».</translation>
    </message>
    <message>
        <source>ML estimated MAE</source>
        <translation>MAE estimée du ML</translation>
    </message>
    <message>
        <source>; resolves at %1</source>
        <translation>; se résout à %1</translation>
    </message>
    <message>
        <source>; resolves at %1 for %2 s</source>
        <translation>; se résout à %1 pendant %2 s</translation>
    </message>
    <message>
        <source>R² is at most 1, so a resolve threshold of %1 is never reached.</source>
        <translation>R² vaut au plus 1 : un seuil de résolution de %1 n’est jamais atteint.</translation>
    </message>
    <message>
        <source>The resolve threshold must be a finite number.</source>
        <translation>Le seuil de résolution doit être un nombre fini.</translation>
    </message>
    <message>
        <source>Unknown alert rule metric &quot;%1&quot;: use failure_rate, latency_p95_ms, mae, r2, estimated_mae, no_data, dependency_fallback or, on a classifier, accuracy, f1, log_loss, ece or estimated_accuracy.</source>
        <translation>Métrique de règle d’alerte « %1 » inconnue : utilisez failure_rate, latency_p95_ms, mae, r2, estimated_mae, no_data, dependency_fallback ou, pour un classifieur, accuracy, f1, log_loss, ece ou estimated_accuracy.</translation>
    </message>
    <message>
        <source>The resolve threshold (%1) must be at or below the firing threshold (%2): a firing rule resolves once the value is back under it.</source>
        <translation>Le seuil de résolution (%1) doit être inférieur ou égal au seuil de déclenchement (%2) : une règle déclenchée se résout une fois la valeur repassée sous ce seuil.</translation>
    </message>
    <message>
        <source>The resolve threshold (%1) must be at or above the firing threshold (%2): a firing rule resolves once the value is back over it.</source>
        <translation>Le seuil de résolution (%1) doit être supérieur ou égal au seuil de déclenchement (%2) : une règle déclenchée se résout une fois la valeur repassée au-dessus de ce seuil.</translation>
    </message>
    <message>
        <source>The keep-firing time must be between 0 and %1 seconds, not %2.</source>
        <translation>La durée de maintien doit être comprise entre 0 et %1 secondes, pas %2.</translation>
    </message>
    <message>
        <source>image configuration: &quot;%1&quot; must be a folder path</source>
        <translation>configuration des images : « %1 » doit être un chemin de dossier</translation>
    </message>
    <message>
        <source>image configuration: &quot;%1&quot; must be an absolute path (%2 given)</source>
        <translation>configuration des images : « %1 » doit être un chemin absolu (%2 donné)</translation>
    </message>
    <message>
        <source>image configuration: unknown field &quot;%1&quot;</source>
        <translation>configuration des images : champ inconnu « %1 »</translation>
    </message>
    <message>
        <source>image configuration: &quot;store&quot; (the image store) is missing</source>
        <translation>configuration des images : « store » (le stockage d’images) manque</translation>
    </message>
    <message>
        <source>image configuration: store: %1</source>
        <translation>configuration des images : stockage : %1</translation>
    </message>
    <message>
        <source>An image deployment needs its classes (at least two).</source>
        <translation>Un déploiement d’images a besoin de ses classes (au moins deux).</translation>
    </message>
    <message>
        <source>The image store: %1</source>
        <translation>Le stockage d’images : %1</translation>
    </message>
    <message>
        <source>The holdout set %1 and the reference set %2 overlap: a fixed holdout must hold images that training never sees.</source>
        <translation>Le jeu de test fixe %1 et le jeu de référence %2 se recouvrent : un jeu de test fixe doit contenir des images que l’entraînement ne voit jamais.</translation>
    </message>
    <message>
        <source>Retrain setting &quot;image_augmentation&quot; must be an object.</source>
        <translation>Le réglage de réentraînement « image_augmentation » doit être un objet.</translation>
    </message>
    <message>
        <source>The reference set %1 is not a readable folder.</source>
        <translation>Le jeu de référence %1 n’est pas un dossier lisible.</translation>
    </message>
    <message>
        <source>The holdout set %1 is not a readable folder.</source>
        <translation>Le jeu de test fixe %1 n’est pas un dossier lisible.</translation>
    </message>
    <message>
        <source>The reference set %1: %2</source>
        <translation>Le jeu de référence %1 : %2</translation>
    </message>
    <message>
        <source>The holdout set %1: %2</source>
        <translation>Le jeu de test fixe %1 : %2</translation>
    </message>
    <message>
        <source>The reference set %1 holds no file in a subfolder named after a class (%2).</source>
        <translation>Le jeu de référence %1 ne contient aucun fichier dans un sous-dossier portant le nom d’une classe (%2).</translation>
    </message>
    <message>
        <source>The holdout set %1 holds no file in a subfolder named after a class (%2).</source>
        <translation>Le jeu de test fixe %1 ne contient aucun fichier dans un sous-dossier portant le nom d’une classe (%2).</translation>
    </message>
    <message>
        <source>The image store cannot be the root folder /: logged keys would reach any file.</source>
        <translation>Le stockage d’images ne peut pas être le dossier racine / : les clés journalisées atteindraient n’importe quel fichier.</translation>
    </message>
    <message>
        <source>The holdout set %1 and the image store %2 overlap: a fixed holdout must hold images that training never sees.</source>
        <translation>Le jeu de test fixe %1 et le stockage d’images %2 se recouvrent : un jeu de test fixe doit contenir des images que l’entraînement ne voit jamais.</translation>
    </message>
    <message>
        <source>Give the whole path (from /): the guard and the model worker read it too.</source>
        <translation>Donnez le chemin complet (depuis /) : le garde et le processus de modèle le lisent aussi.</translation>
    </message>
    <message>
        <source>No such folder.</source>
        <translation>Ce dossier n’existe pas.</translation>
    </message>
    <message>
        <source>Not a folder.</source>
        <translation>Ce n’est pas un dossier.</translation>
    </message>
    <message>
        <source>This folder cannot be read.</source>
        <translation>Ce dossier est illisible.</translation>
    </message>
</context>
<context>
    <name>mldeck::ml</name>
    <message>
        <source>%1 has no column &quot;%2&quot; (columns: %3).</source>
        <translation>%1 n’a pas de colonne « %2 » (colonnes : %3).</translation>
    </message>
    <message>
        <source>%1, line %2, column %3 (%4)</source>
        <translation>%1, ligne %2, colonne %3 (%4)</translation>
    </message>
    <message>
        <source>%1: the target must be a finite number, not &quot;%2&quot; (an empty or NaN target cannot be scored).</source>
        <translation>%1 : la cible doit être un nombre fini, pas « %2 » (une cible vide ou NaN ne peut pas être évaluée).</translation>
    </message>
    <message>
        <source>%1: &quot;%2&quot; is not a finite number.</source>
        <translation>%1 : « %2 » n’est pas un nombre fini.</translation>
    </message>
    <message>
        <source>%1: &quot;%2&quot; is not an ISO 8601 time such as 2024-05-01T08:00:00Z.</source>
        <translation>%1 : « %2 » n’est pas une heure ISO 8601 comme 2024-05-01T08:00:00Z.</translation>
    </message>
    <message>
        <source>%1 has a header but no data rows: nothing to evaluate.</source>
        <translation>%1 a un en-tête mais aucune ligne de données : rien à évaluer.</translation>
    </message>
    <message>
        <source>--features (%1) does not match the features model %2 was trained on (%3).</source>
        <translation>--features (%1) ne correspond pas aux variables sur lesquelles le modèle %2 a été entraîné (%3).</translation>
    </message>
    <message>
        <source>The data has no column &quot;%1&quot;, which model %2 needs.</source>
        <translation>Les données n’ont pas de colonne « %1 », dont le modèle %2 a besoin.</translation>
    </message>
    <message>
        <source>The data has no column &quot;%1&quot; (named by --features).</source>
        <translation>Les données n’ont pas de colonne « %1 » (nommée par --features).</translation>
    </message>
    <message>
        <source>--features names the target &quot;%1&quot;: a model cannot read its own answer.</source>
        <translation>--features nomme la cible « %1 » : un modèle ne peut pas lire sa propre réponse.</translation>
    </message>
    <message>
        <source>The data has no input column besides the target &quot;%1&quot;.</source>
        <translation>Les données n’ont aucune colonne d’entrée en dehors de la cible « %1 ».</translation>
    </message>
    <message>
        <source>No rows to evaluate.</source>
        <translation>Aucune ligne à évaluer.</translation>
    </message>
    <message>
        <source>Rows %1–%2: %3</source>
        <translation>Lignes %1–%2 : %3</translation>
    </message>
    <message>
        <source>Row %1: %2</source>
        <translation>Ligne %1 : %2</translation>
    </message>
    <message>
        <source>Row %1 has %2 numeric and %3 categorical values; model %4 expects %5 numeric (%6) and %7 categorical (%8).</source>
        <translation>La ligne %1 a %2 valeurs numériques et %3 catégorielles ; le modèle %4 attend %5 numériques (%6) et %7 catégorielles (%8).</translation>
    </message>
    <message>
        <source>Row %1: %2 is not a finite number.</source>
        <translation>Ligne %1 : %2 n’est pas un nombre fini.</translation>
    </message>
    <message>
        <source>model metadata (mldeck.json): %1</source>
        <translation>métadonnées du modèle (mldeck.json) : %1</translation>
    </message>
    <message>
        <source>not valid JSON (%1 at offset %2)</source>
        <translation>JSON non valide (%1 à la position %2)</translation>
    </message>
    <message>
        <source>the document must be a JSON object</source>
        <translation>le document doit être un objet JSON</translation>
    </message>
    <message>
        <source>&quot;format&quot; must be &quot;mldeck-model&quot;</source>
        <translation>« format » doit valoir « mldeck-model »</translation>
    </message>
    <message>
        <source>&quot;format_version&quot; must be a whole number</source>
        <translation>« format_version » doit être un entier</translation>
    </message>
    <message>
        <source>format version %1 is not supported by this MLDeck (it reads version %2)</source>
        <translation>la version de format %1 n’est pas prise en charge par ce MLDeck (il lit la version %2)</translation>
    </message>
    <message>
        <source>&quot;model&quot; must give a non-empty &quot;name&quot; and &quot;version&quot;</source>
        <translation>« model » doit donner un « name » et une « version » non vides</translation>
    </message>
    <message>
        <source>&quot;task&quot; must be &quot;regression&quot; or &quot;classification&quot;, not &quot;%1&quot;</source>
        <translation>« task » doit valoir « regression » ou « classification », pas « %1 »</translation>
    </message>
    <message>
        <source>&quot;target&quot; must give a non-empty &quot;name&quot;</source>
        <translation>« target » doit donner un « name » non vide</translation>
    </message>
    <message>
        <source>&quot;feature_schema&quot; must be a positive whole number</source>
        <translation>« feature_schema » doit être un entier positif</translation>
    </message>
    <message>
        <source>&quot;features&quot; must be a non-empty array</source>
        <translation>« features » doit être un tableau non vide</translation>
    </message>
    <message>
        <source>feature %1 has no name</source>
        <translation>la variable %1 n’a pas de nom</translation>
    </message>
    <message>
        <source>feature &quot;%1&quot; appears twice</source>
        <translation>la variable « %1 » apparaît deux fois</translation>
    </message>
    <message>
        <source>numeric feature &quot;%1&quot; needs a finite &quot;mean&quot; and a &quot;std&quot; above 0</source>
        <translation>la variable numérique « %1 » demande une « mean » finie et un « std » supérieur à 0</translation>
    </message>
    <message>
        <source>categorical feature &quot;%1&quot; has an empty, duplicate or non-text category</source>
        <translation>la variable catégorielle « %1 » a une catégorie vide, en double ou non textuelle</translation>
    </message>
    <message>
        <source>categorical feature &quot;%1&quot; needs a non-empty &quot;categories&quot; array</source>
        <translation>la variable catégorielle « %1 » demande un tableau « categories » non vide</translation>
    </message>
    <message>
        <source>feature &quot;%1&quot; has kind &quot;%2&quot;; expected &quot;numeric&quot; or &quot;categorical&quot;</source>
        <translation>la variable « %1 » est de type « %2 » ; attendu : « numeric » ou « categorical »</translation>
    </message>
    <message>
        <source>&quot;sequence_length&quot; must be a whole number from 1 to %1</source>
        <translation>« sequence_length » doit être un entier de 1 à %1</translation>
    </message>
    <message>
        <source>Model file %1 does not exist.</source>
        <translation>Le fichier de modèle %1 n’existe pas.</translation>
    </message>
    <message>
        <source>Cannot read model file %1: %2</source>
        <translation>Impossible de lire le fichier de modèle %1 : %2</translation>
    </message>
    <message>
        <source>Cannot create the model store directory %1.</source>
        <translation>Impossible de créer le répertoire du magasin de modèles %1.</translation>
    </message>
    <message>
        <source>Cannot write into the model store %1: %2</source>
        <translation>Impossible d’écrire dans le magasin de modèles %1 : %2</translation>
    </message>
    <message>
        <source>Model file %1 changed while it was being copied into the store; try again.</source>
        <translation>Le fichier de modèle %1 a changé pendant sa copie dans le magasin ; réessayez.</translation>
    </message>
    <message>
        <source>No valid SHA-256 to check %1 against; a model is loaded only when its hash is known.</source>
        <translation>Aucun SHA-256 valide auquel comparer %1 ; un modèle n’est chargé que si son empreinte est connue.</translation>
    </message>
    <message>
        <source>Model file %1 is missing from the model store; it was not loaded.</source>
        <translation>Le fichier de modèle %1 est absent du magasin de modèles ; il n’a pas été chargé.</translation>
    </message>
    <message>
        <source>Model file %1 does not match the registry (SHA-256 %2…, expected %3…, %4 bytes): it was changed, truncated or replaced after registration, so it was not loaded.</source>
        <translation>Le fichier de modèle %1 ne correspond pas au registre (SHA-256 %2…, attendu %3…, %4 octets) : il a été modifié, tronqué ou remplacé après l’enregistrement, il n’a donc pas été chargé.</translation>
    </message>
    <message>
        <source>The model worker sent a malformed training result.</source>
        <translation>Le processus de modèle a envoyé un résultat d’entraînement mal formé.</translation>
    </message>
    <message>
        <source>The trained model&apos;s metadata is unreadable: %1</source>
        <translation>Les métadonnées du modèle entraîné sont illisibles : %1</translation>
    </message>
    <message>
        <source>The trained model needs a version.</source>
        <translation>Le modèle entraîné demande une version.</translation>
    </message>
    <message>
        <source>No output file given for the trained model.</source>
        <translation>Aucun fichier de sortie indiqué pour le modèle entraîné.</translation>
    </message>
    <message>
        <source>The folder of %1 does not exist.</source>
        <translation>Le dossier de %1 n’existe pas.</translation>
    </message>
    <message numerus="yes">
        <source>Too little training data: %n row(s); at least %1 are needed.</source>
        <translation>
            <numerusform>Trop peu de données d’entraînement : %n ligne ; il en faut au moins %1.</numerusform>
            <numerusform>Trop peu de données d’entraînement : %n lignes ; il en faut au moins %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>The validation set has no rows: early stopping and the choice of the best epoch need it.</source>
        <translation>Le jeu de validation n’a aucune ligne : l’arrêt anticipé et le choix de la meilleure époque en ont besoin.</translation>
    </message>
    <message>
        <source>Model file %1 does not match its registered SHA-256: it was not trained.</source>
        <translation>Le fichier de modèle %1 ne correspond pas à son SHA-256 enregistré : il n’a pas été entraîné.</translation>
    </message>
    <message>
        <source>&quot;classes&quot;, &quot;decision_threshold&quot; and &quot;output&quot; are for task &quot;classification&quot; only</source>
        <translation>« classes », « decision_threshold » et « output » sont réservés à la tâche « classification »</translation>
    </message>
    <message>
        <source>a classification model must name its &quot;classes&quot; (in the order of its output)</source>
        <translation>un modèle de classification doit nommer ses « classes » (dans l’ordre de sa sortie)</translation>
    </message>
    <message>
        <source>&quot;decision_threshold&quot; applies to a binary classifier only (%1 classes given)</source>
        <translation>« decision_threshold » ne s’applique qu’à un classifieur binaire (%1 classes données)</translation>
    </message>
    <message>
        <source>&quot;output&quot; must be &quot;probabilities&quot; or &quot;logits&quot;, not &quot;%1&quot;</source>
        <translation>« output » doit valoir « probabilities » ou « logits », pas « %1 »</translation>
    </message>
    <message>
        <source>the model returns %1 values per row; a regression model returns one ([B] or [B, 1])</source>
        <translation>le modèle renvoie %1 valeurs par ligne ; un modèle de régression en renvoie une ([B] ou [B, 1])</translation>
    </message>
    <message>
        <source>the model returns %1 values per row; a binary classifier returns the positive class&apos;s %2 ([B] or [B, 1]) or one per class ([B, 2])</source>
        <translation>le modèle renvoie %1 valeurs par ligne ; un classifieur binaire renvoie une valeur (%2) pour la classe positive ([B] ou [B, 1]) ou une par classe ([B, 2])</translation>
    </message>
    <message>
        <source>logit</source>
        <translation>logit</translation>
    </message>
    <message>
        <source>probability</source>
        <translation>probabilité</translation>
    </message>
    <message>
        <source>the model returns %1 values per row; its metadata names %2 classes ([B, %2] expected)</source>
        <translation>le modèle renvoie %1 valeurs par ligne ; ses métadonnées nomment %2 classes ([B, %2] attendu)</translation>
    </message>
    <message>
        <source>row %1: the model returned %2, which is not a probability (its metadata declares &quot;output&quot;: &quot;probabilities&quot;; a model that returns logits must say &quot;logits&quot;)</source>
        <translation>ligne %1 : le modèle a renvoyé %2, qui n’est pas une probabilité (ses métadonnées déclarent &quot;output&quot;: &quot;probabilities&quot; ; un modèle qui renvoie des logits doit indiquer &quot;logits&quot;)</translation>
    </message>
    <message>
        <source>model %1 is not a classifier (task &quot;%2&quot;)</source>
        <translation>le modèle %1 n’est pas un classifieur (tâche « %2 »)</translation>
    </message>
    <message>
        <source>row %1: the model&apos;s %2 class probabilities sum to %3, not 1 (a model that returns logits must declare &quot;output&quot;: &quot;logits&quot;)</source>
        <translation>ligne %1 : la somme des %2 probabilités de classe du modèle vaut %3, pas 1 (un modèle qui renvoie des logits doit déclarer &quot;output&quot;: &quot;logits&quot;)</translation>
    </message>
    <message>
        <source>Row %1 has a prediction that is not a finite number.</source>
        <translation>La ligne %1 a une prédiction qui n’est pas un nombre fini.</translation>
    </message>
    <message>
        <source>The nanny&apos;s metadata is incomplete or invalid.</source>
        <translation>Les métadonnées du modèle nanny sont incomplètes ou invalides.</translation>
    </message>
    <message>
        <source>Model %1 is a classifier: the nanny estimates the error of a regression model.</source>
        <translation>Le modèle %1 est un classifieur : le modèle nanny estime l’erreur d’un modèle de régression.</translation>
    </message>
    <message>
        <source>Model %1 has no metadata: the nanny needs its feature layout and scaler.</source>
        <translation>Le modèle %1 n’a pas de métadonnées : le modèle nanny a besoin de la disposition de ses variables et de sa normalisation.</translation>
    </message>
    <message>
        <source>The nanny needs one outcome per row (%1 rows, %2 outcomes).</source>
        <translation>Le modèle nanny a besoin d’un résultat par ligne (%1 lignes, %2 résultats).</translation>
    </message>
    <message>
        <source>Only %1 reference rows have an outcome; the nanny needs at least %2.</source>
        <translation>Seules %1 lignes de référence ont un résultat ; le modèle nanny en demande au moins %2.</translation>
    </message>
    <message>
        <source>The nanny&apos;s training parameters are out of range.</source>
        <translation>Les paramètres d’entraînement du modèle nanny sont hors limites.</translation>
    </message>
    <message>
        <source>Reference row %1 has an outcome that is not a finite number.</source>
        <translation>La ligne de référence %1 a un résultat qui n’est pas un nombre fini.</translation>
    </message>
    <message>
        <source>Model %1 predicts every reference row exactly: there is no error to estimate.</source>
        <translation>Le modèle %1 prédit exactement chaque ligne de référence : il n’y a pas d’erreur à estimer.</translation>
    </message>
    <message>
        <source>The model worker sent a malformed nanny training result.</source>
        <translation>Le processus de modèle a renvoyé un résultat d’entraînement du modèle nanny mal formé.</translation>
    </message>
    <message>
        <source>The nanny of model %1 %2 keeps unreadable model metadata: %3</source>
        <translation>Le modèle nanny du modèle %1 %2 conserve des métadonnées illisibles : %3</translation>
    </message>
    <message>
        <source>The nanny of model %1 %2 was trained for an input of %3 values; the model&apos;s metadata gives %4.</source>
        <translation>Le modèle nanny du modèle %1 %2 a été entraîné pour une entrée de %3 valeurs ; les métadonnées du modèle en donnent %4.</translation>
    </message>
    <message>
        <source>The nanny needs one prediction per row (%1 rows, %2 predictions).</source>
        <translation>Le modèle nanny a besoin d’une prédiction par ligne (%1 lignes, %2 prédictions).</translation>
    </message>
    <message>
        <source>The model worker sent a malformed nanny answer.</source>
        <translation>Le processus de modèle a renvoyé une réponse du modèle nanny mal formée.</translation>
    </message>
    <message>
        <source>the candidate refuses the changed rows: %1</source>
        <translation>le candidat refuse les lignes modifiées : %1</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Annulé.</translation>
    </message>
    <message>
        <source>it fails on the golden rows: %1</source>
        <translation>il échoue sur les lignes de référence : %1</translation>
    </message>
    <message>
        <source>not compared: the champion %1.</source>
        <translation>non comparé : le champion %1.</translation>
    </message>
    <message>
        <source>The golden dataset %1 has %2 MB; at most %3 MB are accepted (a golden set is a small, fixed sample).</source>
        <translation>Le jeu de données de référence %1 fait %2 Mo ; %3 Mo au plus sont acceptés (un jeu de référence est un petit échantillon fixe).</translation>
    </message>
    <message>
        <source>The deployment has no feature schema yet: register a model first.</source>
        <translation>Le déploiement n’a pas encore de schéma de variables : enregistrez d’abord un modèle.</translation>
    </message>
    <message>
        <source>No target column named for the golden dataset.</source>
        <translation>Aucune colonne de résultat n’est indiquée pour le jeu de données de référence.</translation>
    </message>
    <message>
        <source>The deployment&apos;s classes are not known yet: register a model first.</source>
        <translation>Les classes du déploiement ne sont pas encore connues : enregistrez d’abord un modèle.</translation>
    </message>
    <message>
        <source>The golden dataset %1 lacks the column(s) %2 (it has: %3).</source>
        <translation>Il manque au jeu de données de référence %1 la ou les colonnes %2 (il contient : %3).</translation>
    </message>
    <message>
        <source>line %1, column %2 (%3)</source>
        <translation>ligne %1, colonne %2 (%3)</translation>
    </message>
    <message>
        <source>%1: &quot;%2&quot; is not a finite number</source>
        <translation>%1 : « %2 » n’est pas un nombre fini</translation>
    </message>
    <message>
        <source>%1: &quot;%2&quot; is not one of the classes %3</source>
        <translation>%1 : « %2 » n’est pas l’une des classes %3</translation>
    </message>
    <message>
        <source>%1: the outcome &quot;%2&quot; is not a finite number</source>
        <translation>%1 : le résultat « %2 » n’est pas un nombre fini</translation>
    </message>
    <message numerus="yes">
        <source>The golden dataset %1 is refused: %n row(s) with errors. %2</source>
        <translation>
            <numerusform>Le jeu de données de référence %1 est refusé : %n ligne en erreur. %2</numerusform>
            <numerusform>Le jeu de données de référence %1 est refusé : %n lignes en erreur. %2</numerusform>
        </translation>
    </message>
    <message>
        <source>The golden dataset %1 has a header but no rows.</source>
        <translation>Le jeu de données de référence %1 a un en-tête mais aucune ligne.</translation>
    </message>
    <message>
        <source>Model checks: unknown key &quot;%1&quot; (known: %2).</source>
        <translation>Contrôles du modèle : clé « %1 » inconnue (connues : %2).</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must be a number from %2 to %3.</source>
        <translation>Contrôles du modèle : « %1 » doit être un nombre de %2 à %3.</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must be true or false.</source>
        <translation>Contrôles du modèle : « %1 » doit valoir true ou false.</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must be an object.</source>
        <translation>Contrôles du modèle : « %1 » doit être un objet.</translation>
    </message>
    <message>
        <source>Model checks: &quot;invariance&quot; must be a list.</source>
        <translation>Contrôles du modèle : « invariance » doit être une liste.</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; is required.</source>
        <translation>Contrôles du modèle : « %1 » est obligatoire.</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must name a feature.</source>
        <translation>Contrôles du modèle : « %1 » doit nommer une variable.</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; needs either &quot;values&quot; or &quot;delta&quot;, not both.</source>
        <translation>Contrôles du modèle : « %1 » demande soit « values », soit « delta », pas les deux.</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot;: the deployment has no feature &quot;%2&quot;.</source>
        <translation>Contrôles du modèle : « %1 » : le déploiement n’a pas de variable « %2 ».</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot;: &quot;%2&quot; is categorical; give &quot;values&quot;, not &quot;delta&quot;.</source>
        <translation>Contrôles du modèle : « %1 » : « %2 » est catégorielle ; donnez « values », pas « delta ».</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must be a non-empty list.</source>
        <translation>Contrôles du modèle : « %1 » doit être une liste non vide.</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; must hold %2.</source>
        <translation>Contrôles du modèle : « %1 » doit contenir %2.</translation>
    </message>
    <message>
        <source>texts (&quot;%1&quot; is categorical)</source>
        <translation>des textes (« %1 » est catégorielle)</translation>
    </message>
    <message>
        <source>numbers (&quot;%1&quot; is numeric)</source>
        <translation>des nombres (« %1 » est numérique)</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>réussi</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>échoué</translation>
    </message>
    <message>
        <source>no data</source>
        <translation>aucune donnée</translation>
    </message>
    <message>
        <source>non-regression (overall)</source>
        <translation>non-régression (ensemble)</translation>
    </message>
    <message>
        <source>non-regression (segment %1)</source>
        <translation>non-régression (segment %1)</translation>
    </message>
    <message>
        <source>prediction stability</source>
        <translation>stabilité des prédictions</translation>
    </message>
    <message>
        <source>invariance of %1</source>
        <translation>invariance de %1</translation>
    </message>
    <message>
        <source>input validation</source>
        <translation>validation des entrées</translation>
    </message>
    <message numerus="yes">
        <source>(and %n more failed check(s))</source>
        <translation>
            <numerusform>(et %n autre contrôle échoué)</numerusform>
            <numerusform>(et %n autres contrôles échoués)</numerusform>
        </translation>
    </message>
    <message>
        <source>no promotion checks configured (no golden dataset)</source>
        <translation>aucun contrôle de promotion configuré (pas de jeu de données de référence)</translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation>échec : %1</translation>
    </message>
    <message>
        <source>passed %1 of %2 checks (%3 without data)</source>
        <translation>%1 contrôles réussis sur %2 (%3 sans données)</translation>
    </message>
    <message>
        <source>passed %1 of %2 checks</source>
        <translation>%1 contrôles réussis sur %2</translation>
    </message>
    <message>
        <source>not compared with the champion (%1); %2</source>
        <translation>non comparé au champion (%1) ; %2</translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation>exactitude</translation>
    </message>
    <message>
        <source>no champion to compare with (the candidate&apos;s %1: %2).</source>
        <translation>pas de champion avec qui comparer (%1 du candidat : %2).</translation>
    </message>
    <message numerus="yes">
        <source>%n golden row(s) in this segment; at least %1 are needed.</source>
        <translation>
            <numerusform>%n ligne de référence dans ce segment ; il en faut au moins %1.</numerusform>
            <numerusform>%n lignes de référence dans ce segment ; il en faut au moins %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>the candidate&apos;s accuracy is %1 against the champion&apos;s %2 on %n row(s) (at least %3 needed: %4 points of margin).</source>
        <translation>
            <numerusform>l’exactitude du candidat est de %1 contre %2 pour le champion sur %n ligne (au moins %3 exigés : %4 points de marge).</numerusform>
            <numerusform>l’exactitude du candidat est de %1 contre %2 pour le champion sur %n lignes (au moins %3 exigés : %4 points de marge).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>the candidate&apos;s MAE is %1 against the champion&apos;s %2 on %n row(s) (at most %3 allowed: %4 of margin).</source>
        <translation>
            <numerusform>la MAE du candidat est de %1 contre %2 pour le champion sur %n ligne (au plus %3 admis : %4 de marge).</numerusform>
            <numerusform>la MAE du candidat est de %1 contre %2 pour le champion sur %n lignes (au plus %3 admis : %4 de marge).</numerusform>
        </translation>
    </message>
    <message>
        <source>no champion to compare with.</source>
        <translation>pas de champion avec qui comparer.</translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n row(s) change class (%2; at most %3 allowed).</source>
        <translation>
            <numerusform>%1 ligne sur %n change de classe (%2 ; au plus %3 admis).</numerusform>
            <numerusform>%1 lignes sur %n changent de classe (%2 ; au plus %3 admis).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n row(s) move by more than %2 (%3; at most %4 allowed); the largest move is %5.</source>
        <translation>
            <numerusform>%1 ligne sur %n bouge de plus de %2 (%3 ; au plus %4 admis) ; le plus grand écart est de %5.</numerusform>
            <numerusform>%1 lignes sur %n bougent de plus de %2 (%3 ; au plus %4 admis) ; le plus grand écart est de %5.</numerusform>
        </translation>
    </message>
    <message>
        <source>+%1</source>
        <translation>+%1</translation>
    </message>
    <message>
        <source>no golden rows to change.</source>
        <translation>aucune ligne de référence à modifier.</translation>
    </message>
    <message numerus="yes">
        <source>changing %1 alone moves %n prediction(s) by more than %2; the largest move is %3 (%1 = %4).</source>
        <translation>
            <numerusform>changer %1 seul fait bouger %n prédiction de plus de %2 ; le plus grand écart est de %3 (%1 = %4).</numerusform>
            <numerusform>changer %1 seul fait bouger %n prédictions de plus de %2 ; le plus grand écart est de %3 (%1 = %4).</numerusform>
        </translation>
    </message>
    <message>
        <source>changing %1 alone moves no prediction by more than %2 (largest move %3).</source>
        <translation>changer %1 seul ne fait bouger aucune prédiction de plus de %2 (plus grand écart %3).</translation>
    </message>
    <message>
        <source>no unknown categorical value</source>
        <translation>aucune valeur catégorielle inconnue</translation>
    </message>
    <message numerus="yes">
        <source>%n unknown categorical value(s) (%1)</source>
        <translation>
            <numerusform>%n valeur catégorielle inconnue (%1)</numerusform>
            <numerusform>%n valeurs catégorielles inconnues (%1)</numerusform>
        </translation>
    </message>
    <message>
        <source> (not counted for %1: the model&apos;s metadata lists no categories)</source>
        <translation> (non comptées pour %1 : les métadonnées du modèle ne listent aucune catégorie)</translation>
    </message>
    <message>
        <source>the candidate refuses the golden rows: %1</source>
        <translation>le candidat refuse les lignes de référence : %1</translation>
    </message>
    <message numerus="yes">
        <source>all %n row(s) accepted, but %1: %2 of the rows, at most %3 allowed.</source>
        <translation>
            <numerusform>la ligne est acceptée (%n), mais %1 : %2 des lignes, au plus %3 admis.</numerusform>
            <numerusform>les %n lignes sont acceptées, mais %1 : %2 des lignes, au plus %3 admis.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>all %n row(s) accepted; %1.</source>
        <translation>
            <numerusform>la ligne est acceptée (%n) ; %1.</numerusform>
            <numerusform>les %n lignes sont acceptées ; %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>Model checks: the deployment has no feature &quot;%1&quot;.</source>
        <translation>Contrôles du modèle : le déploiement n’a pas de variable « %1 ».</translation>
    </message>
    <message>
        <source>Model checks: &quot;%1&quot; is categorical; it takes values, not a delta.</source>
        <translation>Contrôles du modèle : « %1 » est catégorielle ; elle prend des valeurs, pas un delta.</translation>
    </message>
    <message>
        <source>Model %1 does not take images.</source>
        <translation>Le modèle %1 ne prend pas d’images.</translation>
    </message>
    <message>
        <source>No images to evaluate.</source>
        <translation>Aucune image à évaluer.</translation>
    </message>
    <message>
        <source>Images %1–%2: %3</source>
        <translation>Images %1–%2 : %3</translation>
    </message>
    <message>
        <source>Image %1: %2</source>
        <translation>Image %1 : %2</translation>
    </message>
    <message>
        <source>Malformed image training request.</source>
        <translation>Requête d’entraînement sur images malformée.</translation>
    </message>
    <message numerus="yes">
        <source>Too few training images: %n; at least %1 are needed.</source>
        <translation>
            <numerusform>Trop peu d’images d’entraînement : %n ; il en faut au moins %1.</numerusform>
            <numerusform>Trop peu d’images d’entraînement : %n ; il en faut au moins %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>The validation set has no images: early stopping and the choice of the best epoch need it.</source>
        <translation>L’ensemble de validation ne contient aucune image : l’arrêt précoce et le choix de la meilleure époque en ont besoin.</translation>
    </message>
    <message>
        <source>an image model must be a classifier (task &quot;classification&quot; with its &quot;classes&quot;)</source>
        <translation>un modèle d’image doit être un classifieur (tâche « classification » avec ses « classes »)</translation>
    </message>
    <message>
        <source>an image model takes no &quot;features&quot;</source>
        <translation>un modèle d’image ne prend pas de « features »</translation>
    </message>
    <message>
        <source>an image model needs an &quot;image&quot; object (its size, channels, resize and normalisation)</source>
        <translation>un modèle d’image a besoin d’un objet « image » (taille, canaux, redimensionnement et normalisation)</translation>
    </message>
    <message>
        <source>&quot;image&quot; is for an image model (&quot;input&quot;: &quot;image&quot;) only</source>
        <translation>« image » est réservé aux modèles d’image (« input » : « image »)</translation>
    </message>
    <message>
        <source>&quot;input&quot; must be &quot;features&quot; or &quot;image&quot;, not &quot;%1&quot;</source>
        <translation>« input » doit valoir « features » ou « image », pas « %1 »</translation>
    </message>
    <message>
        <source>an image model takes one image per prediction: &quot;sequence_length&quot; must be 1</source>
        <translation>un modèle d’image prend une image par prédiction : « sequence_length » doit valoir 1</translation>
    </message>
    <message>
        <source>the file is empty</source>
        <translation>le fichier est vide</translation>
    </message>
    <message>
        <source>not an image, or in a format MLDeck cannot read (it reads %1)</source>
        <translation>ce n’est pas une image, ou son format n’est pas lisible par MLDeck (il lit %1)</translation>
    </message>
    <message>
        <source>the image is %1 × %2 pixels, more than the %3 megapixels MLDeck decodes</source>
        <translation>l’image fait %1 × %2 pixels, plus que les %3 mégapixels que MLDeck décode</translation>
    </message>
    <message>
        <source>the %1 image is truncated or corrupt (%2)</source>
        <translation>l’image %1 est tronquée ou corrompue (%2)</translation>
    </message>
    <message>
        <source>&quot;image&quot;: %1</source>
        <translation>« image » : %1</translation>
    </message>
    <message>
        <source>&quot;%1&quot; must be a whole number</source>
        <translation>« %1 » doit être un nombre entier</translation>
    </message>
    <message>
        <source>&quot;%1&quot; must be a list of numbers, one per channel</source>
        <translation>« %1 » doit être une liste de nombres, un par canal</translation>
    </message>
    <message>
        <source>&quot;width&quot; and &quot;height&quot; must lie between 1 and %1 pixels (%2 × %3 given)</source>
        <translation>« width » et « height » doivent être compris entre 1 et %1 pixels (%2 × %3 donnés)</translation>
    </message>
    <message>
        <source>&quot;channels&quot; must be 1 (grayscale) or 3 (RGB), not %1</source>
        <translation>« channels » doit valoir 1 (niveaux de gris) ou 3 (RVB), pas %1</translation>
    </message>
    <message>
        <source>&quot;mean&quot; and &quot;std&quot; must give one value per channel (%1; %2 and %3 given)</source>
        <translation>« mean » et « std » doivent donner une valeur par canal (%1 ; %2 et %3 donnés)</translation>
    </message>
    <message>
        <source>&quot;mean&quot; must be finite numbers</source>
        <translation>« mean » doit contenir des nombres finis</translation>
    </message>
    <message>
        <source>&quot;std&quot; must be finite numbers above 0</source>
        <translation>« std » doit contenir des nombres finis supérieurs à 0</translation>
    </message>
    <message>
        <source>&quot;resize&quot; must be &quot;stretch&quot;, &quot;fit&quot; or &quot;crop&quot;, not &quot;%1&quot;</source>
        <translation>« resize » doit valoir « stretch », « fit » ou « crop », pas « %1 »</translation>
    </message>
    <message>
        <source>An image key is empty.</source>
        <translation>Une clé d’image est vide.</translation>
    </message>
    <message>
        <source>The image key &quot;%1…&quot; is longer than %2 characters.</source>
        <translation>La clé d’image « %1… » dépasse %2 caractères.</translation>
    </message>
    <message>
        <source>The image key &quot;%1&quot; contains a backslash or a control character.</source>
        <translation>La clé d’image « %1 » contient une barre oblique inverse ou un caractère de contrôle.</translation>
    </message>
    <message>
        <source>The image key &quot;%1&quot; is an absolute path; keys are relative to the store.</source>
        <translation>La clé d’image « %1 » est un chemin absolu ; les clés sont relatives au stockage.</translation>
    </message>
    <message>
        <source>The image key &quot;%1&quot; has an empty, &quot;.&quot; or &quot;..&quot; component.</source>
        <translation>La clé d’image « %1 » a un composant vide, « . » ou « .. ».</translation>
    </message>
    <message>
        <source>image store: &quot;kind&quot; must be &quot;folder&quot; (the only kind this MLDeck knows), not &quot;%1&quot;</source>
        <translation>stockage d’images : « kind » doit valoir « folder » (le seul type que connaît ce MLDeck), pas « %1 »</translation>
    </message>
    <message>
        <source>image store: &quot;root&quot; must be an absolute folder path</source>
        <translation>stockage d’images : « root » doit être le chemin absolu d’un dossier</translation>
    </message>
    <message>
        <source>Unknown image store kind &quot;%1&quot; (this MLDeck knows &quot;folder&quot;).</source>
        <translation>Type de stockage d’images inconnu « %1 » (ce MLDeck connaît « folder »).</translation>
    </message>
    <message>
        <source>The image folder %1 does not exist.</source>
        <translation>Le dossier d’images %1 n’existe pas.</translation>
    </message>
    <message>
        <source>The image store path %1 is not a folder.</source>
        <translation>Le chemin du stockage d’images %1 n’est pas un dossier.</translation>
    </message>
    <message>
        <source>The image folder %1 cannot be read.</source>
        <translation>Le dossier d’images %1 ne peut pas être lu.</translation>
    </message>
    <message>
        <source>The labelled image folder %1 does not exist.</source>
        <translation>Le dossier d’images étiquetées %1 n’existe pas.</translation>
    </message>
    <message>
        <source>%1 is not a folder.</source>
        <translation>%1 n’est pas un dossier.</translation>
    </message>
    <message>
        <source>The folder %1 has a subfolder &quot;%2&quot; that is not one of the classes (%3).</source>
        <translation>Le dossier %1 contient un sous-dossier « %2 » qui n’est pas une des classes (%3).</translation>
    </message>
    <message>
        <source>Class &quot;%1&quot; has no subfolder in %2: no images of it.</source>
        <translation>La classe « %1 » n’a pas de sous-dossier dans %2 : aucune image d’elle.</translation>
    </message>
    <message>
        <source>Subfolders inside class &quot;%1&quot; in %2 are not read.</source>
        <translation>Les sous-dossiers de la classe « %1 » dans %2 ne sont pas lus.</translation>
    </message>
    <message>
        <source>Class &quot;%1&quot; has an empty subfolder in %2.</source>
        <translation>La classe « %1 » a un sous-dossier vide dans %2.</translation>
    </message>
</context>
<context>
    <name>mldeck::rollout</name>
    <message>
        <source>Cannot create the audit spool directory %1.</source>
        <translation>Impossible de créer le répertoire tampon d’audit %1.</translation>
    </message>
    <message>
        <source>Cannot write the audit spool file %1: %2</source>
        <translation>Impossible d’écrire le fichier tampon d’audit %1 : %2</translation>
    </message>
    <message>
        <source>Cannot move the audit spool file into place at %1.</source>
        <translation>Impossible de mettre en place le fichier tampon d’audit à %1.</translation>
    </message>
    <message>
        <source>Cannot flush the audit spool directory %1 to disk.</source>
        <translation>Impossible d’écrire sur le disque le répertoire tampon d’audit %1.</translation>
    </message>
    <message>
        <source>Cannot remove the flushed audit spool file %1.</source>
        <translation>Impossible de supprimer le fichier tampon d’audit %1 déjà transmis.</translation>
    </message>
    <message>
        <source>%1 must be 0 or 1, not &quot;%2&quot;.</source>
        <translation>%1 doit valoir 0 ou 1, pas « %2 ».</translation>
    </message>
    <message>
        <source>The ML traffic percentage must be a whole number from 0 to 100, not &quot;%1&quot;.</source>
        <translation>Le pourcentage de trafic ML doit être un entier de 0 à 100, pas « %1 ».</translation>
    </message>
    <message>
        <source>The guard window must be from 10 s to 1 day (got %1 s).</source>
        <translation>La fenêtre de la garde doit aller de 10 s à 1 jour (reçu %1 s).</translation>
    </message>
    <message>
        <source>The guard needs a minimum of at least 1 sample (got %1).</source>
        <translation>La garde demande un minimum d’au moins 1 échantillon (reçu %1).</translation>
    </message>
    <message>
        <source>Consecutive breaches must be from 1 to 100 (got %1).</source>
        <translation>Les dépassements consécutifs doivent aller de 1 à 100 (reçu %1).</translation>
    </message>
    <message>
        <source>The rollback error rate must be a share above 0 and at most 1 (got %1).</source>
        <translation>Le taux d’erreur de retour arrière doit être une proportion supérieure à 0 et au plus 1 (reçu %1).</translation>
    </message>
    <message>
        <source>The latency threshold must be positive (got %1 ms).</source>
        <translation>Le seuil de latence doit être positif (reçu %1 ms).</translation>
    </message>
    <message>
        <source>The MAE threshold must be positive (got %1).</source>
        <translation>Le seuil de MAE doit être positif (reçu %1).</translation>
    </message>
    <message>
        <source>The guard interval must be from 1 s to 1 h (got %1 s).</source>
        <translation>L’intervalle de la garde doit aller de 1 s à 1 h (reçu %1 s).</translation>
    </message>
    <message>
        <source>guard disabled for this deployment</source>
        <translation>garde désactivée pour ce déploiement</translation>
    </message>
    <message>
        <source>latched (%1); ML not serving</source>
        <translation>verrouillée (%1) ; le ML ne sert pas</translation>
    </message>
    <message>
        <source>ML not serving: nothing to guard</source>
        <translation>le ML ne sert pas : rien à surveiller</translation>
    </message>
    <message>
        <source>no ML samples in the last %1 s (no data counts as a breach)</source>
        <translation>aucun échantillon ML dans les %1 dernières s (l’absence de données compte comme un dépassement)</translation>
    </message>
    <message>
        <source>inconclusive: %1 samples &lt; minimum %2</source>
        <translation>non concluant : %1 échantillons &lt; minimum %2</translation>
    </message>
    <message>
        <source>latched (%1); %2</source>
        <translation>verrouillée (%1) ; %2</translation>
    </message>
    <message>
        <source>error rate %1 &gt; %2</source>
        <translation>taux d’erreur %1 &gt; %2</translation>
    </message>
    <message>
        <source>latency p95 %1 ms &gt; %2 ms</source>
        <translation>latence p95 %1 ms &gt; %2 ms</translation>
    </message>
    <message>
        <source>MAE %1 &gt; %2</source>
        <translation>MAE %1 &gt; %2</translation>
    </message>
    <message>
        <source>ML OFF (escalation after halving) after %1 consecutive breaches: %2</source>
        <translation>ML COUPÉ (escalade après division par deux) après %1 dépassements consécutifs : %2</translation>
    </message>
    <message>
        <source>latched (%1) since %2: not acting again until re-armed%3</source>
        <translation>verrouillée (%1) depuis %2 : aucune nouvelle action avant réarmement%3</translation>
    </message>
    <message>
        <source>ML OFF after %1 consecutive breaches: %2</source>
        <translation>ML COUPÉ après %1 dépassements consécutifs : %2</translation>
    </message>
    <message>
        <source>percentage halved after %1 consecutive breaches: %2</source>
        <translation>pourcentage divisé par deux après %1 dépassements consécutifs : %2</translation>
    </message>
    <message>
        <source>breach %1 of %2 (waiting for %2 in a row): %3</source>
        <translation>dépassement %1 sur %2 (attente de %2 d’affilée) : %3</translation>
    </message>
    <message>
        <source>healthy: %1 samples</source>
        <translation>sain : %1 échantillons</translation>
    </message>
    <message>
        <source>A plan needs at least one step.</source>
        <translation>Un plan demande au moins une étape.</translation>
    </message>
    <message>
        <source>Every step must be a percentage from 1 to 100; %1 is not.</source>
        <translation>Chaque étape doit être un pourcentage de 1 à 100 ; %1 ne l’est pas.</translation>
    </message>
    <message>
        <source>Steps must be strictly increasing; %1 comes after %2.</source>
        <translation>Les étapes doivent être strictement croissantes ; %1 vient après %2.</translation>
    </message>
    <message>
        <source>The minimum number of samples must not be negative (got %1).</source>
        <translation>Le nombre minimal d’échantillons ne doit pas être négatif (reçu %1).</translation>
    </message>
    <message>
        <source>The minimum soak time must not be negative (got %1 s).</source>
        <translation>La durée minimale d’observation ne doit pas être négative (reçu %1 s).</translation>
    </message>
    <message>
        <source>The MAE gate must be a positive number (got %1).</source>
        <translation>Le critère de MAE doit être un nombre positif (reçu %1).</translation>
    </message>
    <message>
        <source>The R² gate must be a number no greater than 1 (got %1).</source>
        <translation>Le critère de R² doit être un nombre inférieur ou égal à 1 (reçu %1).</translation>
    </message>
    <message>
        <source>The latency p95 gate must be a positive number of milliseconds (got %1).</source>
        <translation>Le critère de latence p95 doit être un nombre positif de millisecondes (reçu %1).</translation>
    </message>
    <message>
        <source>The error-rate gate must be a share from 0 to 1 (got %1).</source>
        <translation>Le critère de taux d’erreur doit être une proportion de 0 à 1 (reçu %1).</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a list of whole percentages such as 10,25,50,100.</source>
        <translation>« %1 » n’est pas une liste de pourcentages entiers comme 10,25,50,100.</translation>
    </message>
    <message>
        <source>The plan is already at its last step (%1 %).</source>
        <translation>Le plan est déjà à sa dernière étape (%1 %).</translation>
    </message>
    <message>
        <source>The minimum accuracy must be a share above 0 and at most 1 (got %1).</source>
        <translation>L’exactitude minimale doit être une proportion supérieure à 0 et au plus 1 (reçu %1).</translation>
    </message>
    <message>
        <source>The rollback accuracy must be a share from 0 up to the minimum accuracy %1 (got %2).</source>
        <translation>L’exactitude de retour arrière doit être une proportion de 0 jusqu’à l’exactitude minimale %1 (reçu %2).</translation>
    </message>
    <message>
        <source>The log-loss threshold must be a positive number (got %1).</source>
        <translation>Le seuil de log-loss doit être un nombre positif (reçu %1).</translation>
    </message>
    <message>
        <source>accuracy %1 &lt; %2</source>
        <translation>exactitude %1 &lt; %2</translation>
    </message>
    <message>
        <source>log-loss %1 &gt; %2</source>
        <translation>log-loss %1 &gt; %2</translation>
    </message>
    <message>
        <source>The accuracy gate must be a share from 0 to 1 (got %1).</source>
        <translation>Le critère d’exactitude doit être une proportion de 0 à 1 (reçu %1).</translation>
    </message>
    <message>
        <source>The F1 gate must be a share from 0 to 1 (got %1).</source>
        <translation>Le critère de F1 doit être une proportion de 0 à 1 (reçu %1).</translation>
    </message>
    <message>
        <source>The log-loss gate must be a positive number (got %1).</source>
        <translation>Le critère de log-loss doit être un nombre positif (reçu %1).</translation>
    </message>
    <message>
        <source>The ECE gate must be a share above 0 and at most 1 (got %1).</source>
        <translation>Le critère d’ECE doit être une proportion supérieure à 0 et au plus 1 (reçu %1).</translation>
    </message>
    <message>
        <source>&quot;At least N of&quot; needs N from 1 to 100 (got %1).</source>
        <translation>« Au moins N parmi » demande un N de 1 à 100 (reçu %1).</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is always required and cannot be advisory.</source>
        <translation>« %1 » est toujours exigé et ne peut pas être indicatif.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a condition that can be advisory (known: %2).</source>
        <translation>« %1 » n’est pas une condition qui peut être indicative (connues : %2).</translation>
    </message>
    <message>
        <source>&quot;%1&quot; can never be met: no condition decides here (all are advisory or absent).</source>
        <translation>« %1 » ne peut jamais être satisfait : aucune condition ne décide ici (toutes sont indicatives ou absentes).</translation>
    </message>
    <message>
        <source>At least %1 can never be met: only %2 condition(s) decide here (%3).</source>
        <translation>Au moins %1 ne peut jamais être satisfait : seules %2 condition(s) décident ici (%3).</translation>
    </message>
    <message>
        <source>Unknown combination mode &quot;%1&quot; (all, any or at_least).</source>
        <translation>Mode de combinaison inconnu « %1 » (all, any ou at_least).</translation>
    </message>
    <message>
        <source>An &quot;at_least&quot; combination needs its number N.</source>
        <translation>Une combinaison « at_least » demande son nombre N.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a combination: all, any or at-least-N (e.g. at-least-2).</source>
        <translation>« %1 » n’est pas une combinaison : all, any ou at-least-N (par exemple at-least-2).</translation>
    </message>
    <message>
        <source>at least %1 of %2</source>
        <translation>au moins %1 sur %2</translation>
    </message>
    <message>
        <source>the %1 combination cannot be read (%2), &quot;any&quot; is used</source>
        <translation>la combinaison %1 est illisible (%2), « any » est utilisée</translation>
    </message>
    <message>
        <source>ML off</source>
        <translation>arrêt du ML</translation>
    </message>
    <message>
        <source>halving</source>
        <translation>division par deux</translation>
    </message>
    <message>
        <source>no condition decides (%1 advisory): the guard would never %2.</source>
        <translation>aucune condition ne décide (%1 indicative(s)) : la garde ne pourrait jamais %2.</translation>
    </message>
    <message>
        <source>a classifier</source>
        <translation>un classifieur</translation>
    </message>
    <message>
        <source>a regression deployment</source>
        <translation>un déploiement de régression</translation>
    </message>
    <message>
        <source>turn ML off</source>
        <translation>arrêter le ML</translation>
    </message>
    <message>
        <source>Rollback conditions of %1: %2</source>
        <translation>Conditions d’arrêt de %1 : %2</translation>
    </message>
    <message>
        <source>halve the percentage</source>
        <translation>diviser le pourcentage par deux</translation>
    </message>
    <message>
        <source>Halving conditions of %1: %2</source>
        <translation>Conditions de division par deux de %1 : %2</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a guard condition (known: %2).</source>
        <translation>« %1 » n’est pas une condition de la garde (connues : %2).</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>%1: the resolve threshold must be a number.</source>
        <translation>%1 : le seuil de résolution doit être un nombre.</translation>
    </message>
    <message>
        <source>%1 = %2 held: resolving, %3 s left</source>
        <translation>%1 = %2 maintenu : en résolution, encore %3 s</translation>
    </message>
    <message>
        <source>%1 = %2 held until past %3</source>
        <translation>%1 = %2 maintenu jusqu’à franchir %3</translation>
    </message>
    <message>
        <source>halve</source>
        <translation>division par deux</translation>
    </message>
    <message>
        <source>no action: the breaches do not meet the combination (ML off: %1; halve: %2): %3</source>
        <translation>aucune action : les dépassements ne satisfont pas la combinaison (arrêt du ML : %1 ; moitié : %2) : %3</translation>
    </message>
    <message>
        <source> (advisory, not acted on: %1)</source>
        <translation> (indicatif, sans action : %1)</translation>
    </message>
    <message>
        <source> (no condition decides for %1: never acted on)</source>
        <translation> (aucune condition ne décide pour %1 : jamais appliqué)</translation>
    </message>
    <message>
        <source> (stored rules: %1)</source>
        <translation> (règles enregistrées : %1)</translation>
    </message>
    <message>
        <source>no data yet</source>
        <translation>pas encore de données</translation>
    </message>
    <message>
        <source>The labelled predictions a quality gate waits for must be at least 1 (got %1).</source>
        <translation>Le nombre de prédictions étiquetées qu’attend un seuil de qualité doit valoir au moins 1 (reçu %1).</translation>
    </message>
    <message>
        <source>The estimated MAE gate must be a positive number (got %1).</source>
        <translation>Le critère de MAE estimée doit être un nombre positif (reçu %1).</translation>
    </message>
    <message>
        <source>Classifier&apos;s plan: </source>
        <translation>Plan d’un classifieur : </translation>
    </message>
    <message>
        <source>Regression plan: </source>
        <translation>Plan de régression : </translation>
    </message>
    <message>
        <source>The step %1 % has its own combination but is not a step of the plan.</source>
        <translation>L’étape %1 % a sa propre combinaison mais n’est pas une étape du plan.</translation>
    </message>
    <message>
        <source>Step %1 %: %2</source>
        <translation>Étape %1 % : %2</translation>
    </message>
    <message>
        <source>%1 of %2 predictions</source>
        <translation>%1 prédictions sur %2</translation>
    </message>
    <message>
        <source>%1 of %2 labelled predictions in the last 24 h</source>
        <translation>%1 sur %2 prédictions étiquetées sur les dernières 24 h</translation>
    </message>
    <message>
        <source>%1 of %2 labelled predictions</source>
        <translation>%1 prédictions étiquetées sur %2</translation>
    </message>
    <message>
        <source>%1 min left</source>
        <translation>encore %1 min</translation>
    </message>
    <message>
        <source>%1 s left</source>
        <translation>encore %1 s</translation>
    </message>
    <message>
        <source>no prediction of the step scored by the nanny model yet</source>
        <translation>aucune prédiction de l’étape encore évaluée par le modèle nanny</translation>
    </message>
    <message>
        <source>The stored combination of step &quot;%1&quot; cannot be read.</source>
        <translation>La combinaison enregistrée de l’étape « %1 » est illisible.</translation>
    </message>
    <message>
        <source>at least 1 of %1</source>
        <translation>au moins 1 sur %1</translation>
    </message>
    <message>
        <source>all %1</source>
        <translation>les %1</translation>
    </message>
</context>
<context>
    <name>mldeck::services</name>
    <message>
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <source>%1 has no target column &quot;%2&quot; (columns: %3); name it with --target.</source>
        <translation>%1 n’a pas de colonne cible « %2 » (colonnes : %3) ; nommez-la avec --target.</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>A time window needs a PostgreSQL connection.</source>
        <translation>Une période demande une connexion PostgreSQL.</translation>
    </message>
    <message>
        <source>Loading %1</source>
        <translation>Chargement de %1</translation>
    </message>
    <message>
        <source>Model %1: %2</source>
        <translation>Modèle %1 : %2</translation>
    </message>
    <message>
        <source>%1 is a %2 model and %3 a %4 model: they cannot be compared.</source>
        <translation>%1 est un modèle « %2 » et %3 un modèle « %4 » : ils ne peuvent pas être comparés.</translation>
    </message>
    <message>
        <source>Reading rows</source>
        <translation>Lecture des lignes</translation>
    </message>
    <message>
        <source>Evaluating %1</source>
        <translation>Évaluation de %1</translation>
    </message>
    <message>
        <source>MAPE leaves out %1 rows whose actual value is 0.</source>
        <translation>La MAPE exclut %1 lignes dont la valeur réelle est 0.</translation>
    </message>
    <message>
        <source>%1 met %2 categorical values it does not know (encoded as all zero).</source>
        <translation>%1 a rencontré %2 valeurs catégorielles qu’il ne connaît pas (encodées tout à zéro).</translation>
    </message>
    <message>
        <source>Bootstrap confidence intervals</source>
        <translation>Intervalles de confiance par bootstrap</translation>
    </message>
    <message>
        <source>The bootstrap could not run on these rows.</source>
        <translation>Le bootstrap n’a pas pu s’exécuter sur ces lignes.</translation>
    </message>
    <message>
        <source>Give 1 to 4 models (got %1).</source>
        <translation>Donnez de 1 à 4 modèles (reçu %1).</translation>
    </message>
    <message>
        <source>Segments</source>
        <translation>Segments</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Terminé</translation>
    </message>
    <message>
        <source>The reference period of &quot;%1&quot; is empty.</source>
        <translation>La période de référence de « %1 » est vide.</translation>
    </message>
    <message>
        <source>%1 (%2 to %3)</source>
        <translation>%1 (%2 à %3)</translation>
    </message>
    <message>
        <source>snapshot %1</source>
        <translation>instantané %1</translation>
    </message>
    <message>
        <source>the champion&apos;s training window</source>
        <translation>la fenêtre d’entraînement du champion</translation>
    </message>
    <message>
        <source>period</source>
        <translation>période</translation>
    </message>
    <message>
        <source>the previous %1 s</source>
        <translation>les %1 s précédentes</translation>
    </message>
    <message>
        <source>the first %1 s of the log</source>
        <translation>les %1 premières s du journal</translation>
    </message>
    <message>
        <source>the first hour of the log</source>
        <translation>la première heure du journal</translation>
    </message>
    <message>
        <source>Unknown reference.</source>
        <translation>Référence inconnue.</translation>
    </message>
    <message>
        <source>prediction</source>
        <translation>prédiction</translation>
    </message>
    <message>
        <source>target</source>
        <translation>cible</translation>
    </message>
    <message>
        <source>dataset</source>
        <translation>jeu de données</translation>
    </message>
    <message>
        <source>Drift settings of &quot;%1&quot;: %2</source>
        <translation>Réglages de dérive de « %1 » : %2</translation>
    </message>
    <message>
        <source>Drift on %1: %2 p = %3, effect %4 = %5</source>
        <translation>Dérive sur %1 : %2 p = %3, effet %4 = %5</translation>
    </message>
    <message>
        <source>Drift on %1: %2 = %3 (threshold %4), effect %5 = %6</source>
        <translation>Dérive sur %1 : %2 = %3 (seuil %4), effet %5 = %6</translation>
    </message>
    <message>
        <source>Dataset drift: %1 of %2 features drift</source>
        <translation>Dérive du jeu de données : %1 variables sur %2 dérivent</translation>
    </message>
    <message>
        <source>no flags</source>
        <translation>aucun drapeau</translation>
    </message>
    <message>
        <source>INVALID (%1)</source>
        <translation>NON VALIDE (%1)</translation>
    </message>
    <message>
        <source>ml_enabled=%1, ml_traffic_percentage=%2, fallback_on_error=%3</source>
        <translation>ml_enabled=%1, ml_traffic_percentage=%2, fallback_on_error=%3</translation>
    </message>
    <message>
        <source>Not connected to PostgreSQL.</source>
        <translation>Non connecté à PostgreSQL.</translation>
    </message>
    <message>
        <source>not applied: %1</source>
        <translation>non appliqué : %1</translation>
    </message>
    <message>
        <source>not applied: nothing to change.</source>
        <translation>non appliqué : rien à changer.</translation>
    </message>
    <message>
        <source>not applied: the ML traffic percentage must be a whole number from 0 to 100, not %1.</source>
        <translation>non appliqué : le pourcentage de trafic ML doit être un entier de 0 à 100, pas %1.</translation>
    </message>
    <message>
        <source>deployment &quot;%1&quot; has no flags in Redis (create them with mldeckctl flags init).</source>
        <translation>le déploiement « %1 » n’a pas de drapeaux dans Redis (créez-les avec mldeckctl flags init).</translation>
    </message>
    <message>
        <source>Conflict: the flags of &quot;%1&quot; were changed by %2 at %3 (now version %4: %5) while you expected version %6. Nothing was written; review the new state and try again.</source>
        <translation>Conflit : les drapeaux de « %1 » ont été modifiés par %2 à %3 (maintenant en version %4 : %5) alors que vous attendiez la version %6. Rien n’a été écrit ; examinez le nouvel état et réessayez.</translation>
    </message>
    <message>
        <source>the audit log is not writable: %1</source>
        <translation>le journal d’audit n’est pas accessible en écriture : %1</translation>
    </message>
    <message>
        <source>Applied (version %1 -&gt; %2), but the audit row could not be committed (%3); it is kept in %4 and will be written when PostgreSQL is reachable.</source>
        <translation>Appliqué (version %1 -&gt; %2), mais la ligne d’audit n’a pas pu être validée (%3) ; elle est conservée dans %4 et sera écrite quand PostgreSQL sera joignable.</translation>
    </message>
    <message>
        <source>Applied (version %1 -&gt; %2), but the audit row was LOST: commit failed (%3) and the spool failed (%4).</source>
        <translation>Appliqué (version %1 -&gt; %2), mais la ligne d’audit a été PERDUE : la validation a échoué (%3) et la mise en tampon a échoué (%4).</translation>
    </message>
    <message>
        <source>Applied: the flags of &quot;%1&quot; are now version %2 (%3).</source>
        <translation>Appliqué : les drapeaux de « %1 » sont maintenant en version %2 (%3).</translation>
    </message>
    <message>
        <source>Rolled back: ML is OFF for &quot;%1&quot; (version %2).</source>
        <translation>Retour arrière effectué : le ML est COUPÉ pour « %1 » (version %2).</translation>
    </message>
    <message>
        <source>Rolled back: ML is OFF for &quot;%1&quot; (version %2). The audit log is unreachable (%3): the row is kept in %4 and will be written when PostgreSQL is reachable.</source>
        <translation>Retour arrière effectué : le ML est COUPÉ pour « %1 » (version %2). Le journal d’audit est injoignable (%3) : la ligne est conservée dans %4 et sera écrite quand PostgreSQL sera joignable.</translation>
    </message>
    <message>
        <source>Rolled back: ML is OFF for &quot;%1&quot; (version %2), but the audit row was LOST: %3; %4</source>
        <translation>Retour arrière effectué : le ML est COUPÉ pour « %1 » (version %2), mais la ligne d’audit a été PERDUE : %3 ; %4</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>inconnu</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>connexion</translation>
    </message>
    <message>
        <source>up</source>
        <translation>disponible</translation>
    </message>
    <message>
        <source>down</source>
        <translation>indisponible</translation>
    </message>
    <message>
        <source>No deployment given.</source>
        <translation>Aucun déploiement indiqué.</translation>
    </message>
    <message>
        <source>The range is empty: it must end after it starts.</source>
        <translation>La plage est vide : elle doit se terminer après son début.</translation>
    </message>
    <message>
        <source>Nothing loaded to refresh.</source>
        <translation>Rien n’est chargé, rien à actualiser.</translation>
    </message>
    <message>
        <source>Unknown report period &quot;%1&quot;: use day or week.</source>
        <translation>Période de rapport « %1 » inconnue : utilisez day ou week.</translation>
    </message>
    <message>
        <source>The end of the report period is not a valid time.</source>
        <translation>La fin de la période du rapport n’est pas une heure valide.</translation>
    </message>
    <message>
        <source>Could not compute the KPIs of the period: %1</source>
        <translation>Impossible de calculer les indicateurs de la période : %1</translation>
    </message>
    <message>
        <source>Could not read the alerts of the period: %1</source>
        <translation>Impossible de lire les alertes de la période : %1</translation>
    </message>
    <message>
        <source>Could not read the changes of the period: %1</source>
        <translation>Impossible de lire les changements de la période : %1</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
    <message>
        <source>The model&apos;s metadata refers to feature schema %1, which deployment &quot;%2&quot; does not have.</source>
        <translation>Les métadonnées du modèle renvoient au schéma de variables %1, que le déploiement « %2 » n’a pas.</translation>
    </message>
    <message>
        <source>The model&apos;s features do not match feature schema %1 of deployment &quot;%2&quot;: the model expects numeric [%3] and categorical [%4], the deployment logs numeric [%5] and categorical [%6].</source>
        <translation>Les variables du modèle ne correspondent pas au schéma de variables %1 du déploiement « %2 » : le modèle attend en numérique [%3] et en catégoriel [%4], le déploiement journalise en numérique [%5] et en catégoriel [%6].</translation>
    </message>
    <message>
        <source>The promotion is committed, but publishing the champion in Redis failed: %1 Run `mldeckctl models publish --deployment %2` once Redis is back.</source>
        <translation>La promotion est validée, mais la publication du champion dans Redis a échoué : %1 Lancez `mldeckctl models publish --deployment %2` quand Redis sera revenu.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name.</source>
        <translation>« %1 » n’est pas un nom de déploiement valide.</translation>
    </message>
    <message>
        <source>Invalid version &quot;%1&quot;: use 1 to 64 letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;.</source>
        <translation>Version « %1 » non valide : utilisez 1 à 64 lettres, chiffres, « . », « _ » ou « - ».</translation>
    </message>
    <message>
        <source>No model file given.</source>
        <translation>Aucun fichier de modèle indiqué.</translation>
    </message>
    <message>
        <source>Model file %1 does not exist.</source>
        <translation>Le fichier de modèle %1 n’existe pas.</translation>
    </message>
    <message>
        <source>Model path %1 is not a file.</source>
        <translation>Le chemin de modèle %1 n’est pas un fichier.</translation>
    </message>
    <message>
        <source>This file (SHA-256 %1…) is already registered for deployment &quot;%2&quot; as version %3; a file is registered once per deployment.</source>
        <translation>Ce fichier (SHA-256 %1…) est déjà enregistré pour le déploiement « %2 » en tant que version %3 ; un fichier n’est enregistré qu’une fois par déploiement.</translation>
    </message>
    <message>
        <source>Model file %1 changed while it was being registered; try again.</source>
        <translation>Le fichier de modèle %1 a changé pendant son enregistrement ; réessayez.</translation>
    </message>
    <message>
        <source>No model given: use a file path, DEPLOYMENT:champion, DEPLOYMENT:challenger or DEPLOYMENT@VERSION.</source>
        <translation>Aucun modèle indiqué : utilisez un chemin de fichier, DEPLOYMENT:champion, DEPLOYMENT:challenger ou DEPLOYMENT@VERSION.</translation>
    </message>
    <message>
        <source>Model reference &quot;%1&quot; needs the registry: give PostgreSQL with --pg or MLDECK_PG_URL.</source>
        <translation>La référence de modèle « %1 » demande le registre : indiquez PostgreSQL avec --pg ou MLDECK_PG_URL.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no %2 model.</source>
        <translation>Le déploiement « %1 » n’a pas de modèle %2.</translation>
    </message>
    <message>
        <source>The plan was saved but its audit row could not be written: %1</source>
        <translation>Le plan a été enregistré mais sa ligne d’audit n’a pas pu être écrite : %1</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no staged plan yet; save one first (mldeckctl plan set).</source>
        <translation>Le déploiement « %1 » n’a pas encore de plan par étapes ; enregistrez-en un d’abord (mldeckctl plan set).</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no flags in Redis (create them with mldeckctl flags init).</source>
        <translation>Le déploiement « %1 » n’a pas de drapeaux dans Redis (créez-les avec mldeckctl flags init).</translation>
    </message>
    <message>
        <source>ML traffic is already at %1 %, at or above the plan&apos;s last step: nothing to advance.</source>
        <translation>Le trafic ML est déjà à %1 %, au niveau ou au-delà de la dernière étape du plan : rien à faire avancer.</translation>
    </message>
    <message>
        <source>%1 = %2 (threshold %3)</source>
        <translation>%1 = %2 (seuil %3)</translation>
    </message>
    <message>
        <source>The percentage is now %1 %, but the plan step could not be recorded: %2</source>
        <translation>Le pourcentage est maintenant de %1 %, mais l’étape du plan n’a pas pu être enregistrée : %2</translation>
    </message>
    <message>
        <source>The ML traffic percentage must be a whole number from 0 to 100, not %1.</source>
        <translation>Le pourcentage de trafic ML doit être un entier de 0 à 100, pas %1.</translation>
    </message>
    <message>
        <source>internal error while checking: %1</source>
        <translation>erreur interne pendant la vérification : %1</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <source>foreign mldeck schema (not created by MLDeck): MLDeck will not touch it</source>
        <translation>schéma mldeck étranger (non créé par MLDeck) : MLDeck n’y touchera pas</translation>
    </message>
    <message>
        <source>schema not installed: run mldeckctl migrate</source>
        <translation>schéma non installé : lancez mldeckctl migrate</translation>
    </message>
    <message>
        <source>schema v%1 is newer than this MLDeck (v%2): upgrade MLDeck</source>
        <translation>le schéma v%1 est plus récent que ce MLDeck (v%2) : mettez MLDeck à jour</translation>
    </message>
    <message>
        <source>schema v%1, %2 migration(s) pending: run mldeckctl migrate</source>
        <translation>schéma v%1, %2 migration(s) en attente : lancez mldeckctl migrate</translation>
    </message>
    <message>
        <source>schema v%1</source>
        <translation>schéma v%1</translation>
    </message>
    <message>
        <source>schema unknown (%1)</source>
        <translation>schéma inconnu (%1)</translation>
    </message>
    <message>
        <source>[FIRING] %1 on %2: %3 (%4)</source>
        <translation>[DÉCLENCHÉE] %1 sur %2 : %3 (%4)</translation>
    </message>
    <message>
        <source>[RESOLVED] %1 on %2: now %3</source>
        <translation>[RÉSOLUE] %1 sur %2 : maintenant %3</translation>
    </message>
    <message>
        <source>[TEST] MLDeck webhook of %1 works.</source>
        <translation>[TEST] Le webhook MLDeck de %1 fonctionne.</translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation>Déploiement</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>Règle</translation>
    </message>
    <message>
        <source>no answer within %1 ms</source>
        <translation>aucune réponse en %1 ms</translation>
    </message>
    <message>
        <source>HTTP %1 %2: %3</source>
        <translation>HTTP %1 %2 : %3</translation>
    </message>
    <message>
        <source>drift: PostgreSQL unavailable: %1</source>
        <translation>dérive : PostgreSQL indisponible : %1</translation>
    </message>
    <message>
        <source>drift: %1</source>
        <translation>dérive : %1</translation>
    </message>
    <message>
        <source>drift: window already checked</source>
        <translation>dérive : fenêtre déjà vérifiée</translation>
    </message>
    <message>
        <source>drift: %1 of %2 features drift (%3); alerts firing: %4</source>
        <translation>dérive : %1 variables sur %2 dérivent (%3) ; alertes actives : %4</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>Failure rate %1 %2</source>
        <translation>Taux d’échec %1 %2</translation>
    </message>
    <message>
        <source>ML latency p95 %1 %2</source>
        <translation>Latence p95 du ML %1 %2</translation>
    </message>
    <message>
        <source>ML MAE %1 %2</source>
        <translation>MAE du ML %1 %2</translation>
    </message>
    <message>
        <source>ML R² %1 %2</source>
        <translation>R² du ML %1 %2</translation>
    </message>
    <message>
        <source>No predictions for %1 min</source>
        <translation>Aucune prédiction depuis %1 min</translation>
    </message>
    <message>
        <source>Backend dependency in fallback for more than %1</source>
        <translation>Dépendance du backend en mode dégradé depuis plus de %1</translation>
    </message>
    <message>
        <source>kpi alerts: PostgreSQL unavailable: %1</source>
        <translation>alertes d’indicateurs : PostgreSQL indisponible : %1</translation>
    </message>
    <message>
        <source>kpi alerts: firing: %1; pending: %2</source>
        <translation>alertes d’indicateurs : déclenchées : %1 ; en attente : %2</translation>
    </message>
    <message>
        <source>kpi alerts: %1</source>
        <translation>alertes d’indicateurs : %1</translation>
    </message>
    <message>
        <source>%1 in fallback for more than %2</source>
        <translation>%1 en mode dégradé depuis plus de %2</translation>
    </message>
    <message>
        <source>retrain: PostgreSQL unavailable: %1</source>
        <translation>réentraînement : PostgreSQL indisponible : %1</translation>
    </message>
    <message>
        <source>retrain: %1</source>
        <translation>réentraînement : %1</translation>
    </message>
    <message>
        <source>retrain: due, auto-retrain is off (%1)</source>
        <translation>réentraînement : dû, le réentraînement automatique est désactivé (%1)</translation>
    </message>
    <message>
        <source>retrain: run %1 %2: %3</source>
        <translation>réentraînement : exécution %1 %2 : %3</translation>
    </message>
    <message>
        <source>retrain: run %1 registered %2 (%3)</source>
        <translation>réentraînement : l’exécution %1 a enregistré %2 (%3)</translation>
    </message>
    <message>
        <source>retrain: run %1: %2</source>
        <translation>réentraînement : exécution %1 : %2</translation>
    </message>
    <message>
        <source>%1: could not evaluate: %2</source>
        <translation>%1 : évaluation impossible : %2</translation>
    </message>
    <message>
        <source>Guard turned ML off for %1</source>
        <translation>La garde a coupé le ML pour %1</translation>
    </message>
    <message>
        <source>Guard halved the ML traffic of %1 to %2 %</source>
        <translation>La garde a divisé par deux le trafic ML de %1, à %2 %</translation>
    </message>
    <message>
        <source>ACTED: %1 (%2)</source>
        <translation>ACTION EFFECTUÉE : %1 (%2)</translation>
    </message>
    <message>
        <source>wanted to act (%1) but could not: %2</source>
        <translation>voulait agir (%1) mais n’a pas pu : %2</translation>
    </message>
    <message>
        <source>Days back must be between 1 and 3650 (got %1).</source>
        <translation>Le nombre de jours doit être compris entre 1 et 3650 (reçu %1).</translation>
    </message>
    <message>
        <source>The holdout share must be between 5 % and 50 % (got %1 %).</source>
        <translation>La part de test doit être comprise entre 5 % et 50 % (reçu %1 %).</translation>
    </message>
    <message>
        <source>The validation share must be between 5 % and 50 % (got %1 %).</source>
        <translation>La part de validation doit être comprise entre 5 % et 50 % (reçu %1 %).</translation>
    </message>
    <message>
        <source>The minimum improvement must be between 0 % and 100 % (got %1 %).</source>
        <translation>L’amélioration minimale doit être comprise entre 0 % et 100 % (reçu %1 %).</translation>
    </message>
    <message>
        <source>Bootstrap resamples must be between 100 and 100000.</source>
        <translation>Les rééchantillonnages du bootstrap doivent être compris entre 100 et 100000.</translation>
    </message>
    <message>
        <source>%1 rows left out: feature &quot;%2&quot; was missing.</source>
        <translation>%1 lignes écartées : la variable « %2 » manquait.</translation>
    </message>
    <message>
        <source>The last %1 days of &quot;%2&quot; hold %3 rows with an outcome; at least %4 are needed to retrain.</source>
        <translation>Les %1 derniers jours de « %2 » comptent %3 lignes avec un résultat réel ; il en faut au moins %4 pour réentraîner.</translation>
    </message>
    <message>
        <source>%1 rows with negative feedback weigh double in training.</source>
        <translation>%1 lignes avec un retour négatif comptent double à l’entraînement.</translation>
    </message>
    <message>
        <source>--keep must be 0 or more (got %1).</source>
        <translation>--keep doit valoir 0 ou plus (reçu %1).</translation>
    </message>
    <message numerus="yes">
        <source>Retrain cleanup: keeping the newest %n retrained versions</source>
        <translation>
            <numerusform>Nettoyage des réentraînements : conservation de %n version réentraînée, la plus récente</numerusform>
            <numerusform>Nettoyage des réentraînements : conservation des %n versions réentraînées les plus récentes</numerusform>
        </translation>
    </message>
    <message>
        <source>Cleanup stopped at %1@%2: %3 (archived so far: %4)</source>
        <translation>Nettoyage arrêté à %1@%2 : %3 (déjà archivées : %4)</translation>
    </message>
    <message>
        <source>The retention must be between 1 and 3650 days (got %1).</source>
        <translation>La durée de conservation doit être comprise entre 1 et 3650 jours (reçu %1).</translation>
    </message>
    <message>
        <source>Checking the triggers</source>
        <translation>Vérification des déclencheurs</translation>
    </message>
    <message>
        <source>Retraining is not due (%1) Use force to run anyway.</source>
        <translation>Le réentraînement n’est pas dû (%1) Forcez-le pour le lancer quand même.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no champion: register a model and promote it before retraining.</source>
        <translation>Le déploiement « %1 » n’a pas de champion : enregistrez un modèle et promouvez-le avant de réentraîner.</translation>
    </message>
    <message numerus="yes">
        <source>Loading the last %n days</source>
        <translation>
            <numerusform>Chargement de %n jour de données</numerusform>
            <numerusform>Chargement des %n derniers jours</numerusform>
        </translation>
    </message>
    <message>
        <source>No temporary directory for the candidate: %1</source>
        <translation>Aucun répertoire temporaire pour le candidat : %1</translation>
    </message>
    <message>
        <source>The champion&apos;s file cannot be used: %1</source>
        <translation>Le fichier du champion est inutilisable : %1</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Entraînement</translation>
    </message>
    <message>
        <source>Epoch %1 of %2</source>
        <translation>Époque %1 sur %2</translation>
    </message>
    <message>
        <source>Training from %1@%2</source>
        <translation>Entraînement à partir de %1@%2</translation>
    </message>
    <message>
        <source>Training finished but wrote no model file.</source>
        <translation>L’entraînement s’est terminé sans écrire de fichier de modèle.</translation>
    </message>
    <message numerus="yes">
        <source>Evaluating candidate and champion on %n holdout rows</source>
        <translation>
            <numerusform>Évaluation du candidat et du champion sur %n ligne de test</numerusform>
            <numerusform>Évaluation du candidat et du champion sur %n lignes de test</numerusform>
        </translation>
    </message>
    <message>
        <source>The trained model cannot be loaded: %1</source>
        <translation>Le modèle entraîné ne peut pas être chargé : %1</translation>
    </message>
    <message>
        <source>Candidate: %1</source>
        <translation>Candidat : %1</translation>
    </message>
    <message>
        <source>Champion: %1</source>
        <translation>Champion : %1</translation>
    </message>
    <message>
        <source>The paired bootstrap could not be computed on the holdout.</source>
        <translation>Le bootstrap apparié n’a pas pu être calculé sur le jeu de test.</translation>
    </message>
    <message>
        <source>Registering %1@%2</source>
        <translation>Enregistrement de %1@%2</translation>
    </message>
    <message>
        <source>Registration failed: %1</source>
        <translation>Échec de l’enregistrement : %1</translation>
    </message>
    <message>
        <source>Cancelled by the user.</source>
        <translation>Annulé par l’utilisateur.</translation>
    </message>
    <message>
        <source>Run %1 did not succeed (%2): there is nothing to apply.</source>
        <translation>L’exécution %1 n’a pas réussi (%2) : il n’y a rien à appliquer.</translation>
    </message>
    <message>
        <source>Run %1 registered no model (dry run): there is nothing to apply.</source>
        <translation>L’exécution %1 n’a enregistré aucun modèle (essai à blanc) : il n’y a rien à appliquer.</translation>
    </message>
    <message>
        <source>Run %1 was already %2.</source>
        <translation>L’exécution %1 était déjà %2.</translation>
    </message>
    <message>
        <source>Promotion refused: %1 (Start the reason with &quot;override:&quot; to promote anyway.)</source>
        <translation>Promotion refusée : %1 (Commencez le motif par « override: » pour promouvoir quand même.)</translation>
    </message>
    <message>
        <source>Promotion refused: the champion is now %1@%2, not %3 which run %4 was compared with; retrain again.</source>
        <translation>Promotion refusée : le champion est maintenant %1@%2, et non %3 auquel l’exécution %4 a été comparée ; réentraînez à nouveau.</translation>
    </message>
    <message>
        <source>Retrain run %1: %2</source>
        <translation>Réentraînement %1 : %2</translation>
    </message>
    <message>
        <source>Promoted, but the rollout plan could not be read: %1</source>
        <translation>Promu, mais le plan de déploiement n’a pas pu être lu : %1</translation>
    </message>
    <message>
        <source>Promoted, but the rollout plan could not be stored: %1</source>
        <translation>Promu, mais le plan de déploiement n’a pas pu être enregistré : %1</translation>
    </message>
    <message>
        <source>Staged rollout of %1@%2 from 10 %</source>
        <translation>Déploiement par étapes de %1@%2 à partir de 10 %</translation>
    </message>
    <message>
        <source>Retrain run %1: kept as challenger</source>
        <translation>Réentraînement %1 : gardé comme challenger</translation>
    </message>
    <message>
        <source>Retrain run %1: discarded</source>
        <translation>Réentraînement %1 : écarté</translation>
    </message>
    <message numerus="yes">
        <source>Feedback items in the last %n days</source>
        <translation>
            <numerusform>Retours sur %n jour</numerusform>
            <numerusform>Retours sur les %n derniers jours</numerusform>
        </translation>
    </message>
    <message>
        <source>Negative feedback items</source>
        <translation>Retours négatifs</translation>
    </message>
    <message>
        <source>Satisfaction (positive share)</source>
        <translation>Satisfaction (part positive)</translation>
    </message>
    <message>
        <source>Drift alert firing</source>
        <translation>Alerte de dérive déclenchée</translation>
    </message>
    <message>
        <source>MAE of the window above target</source>
        <translation>MAE de la période au-dessus de l’objectif</translation>
    </message>
    <message>
        <source>Due: %1 feedback items, %2 negative, satisfaction %3 % (below %4 %).</source>
        <translation>À faire : %1 retours, dont %2 négatifs, satisfaction %3 % (sous %4 %).</translation>
    </message>
    <message>
        <source>Due: a drift alert is firing.</source>
        <translation>À faire : une alerte de dérive est déclenchée.</translation>
    </message>
    <message>
        <source>Due: the MAE of the window (%1) is above the target (%2).</source>
        <translation>À faire : la MAE de la période (%1) est au-dessus de l’objectif (%2).</translation>
    </message>
    <message>
        <source>%1 of %2 feedback items</source>
        <translation>%1 retours sur %2</translation>
    </message>
    <message>
        <source>%1 of %2 negative items</source>
        <translation>%1 négatifs sur %2</translation>
    </message>
    <message>
        <source>satisfaction %1 % is not below %2 %</source>
        <translation>la satisfaction de %1 % n’est pas sous %2 %</translation>
    </message>
    <message>
        <source>Not due: %1.</source>
        <translation>Pas encore : %1.</translation>
    </message>
    <message>
        <source>The stored retrain settings of &quot;%1&quot; are invalid: %2</source>
        <translation>Les réglages de réentraînement enregistrés pour « %1 » ne sont pas valides : %2</translation>
    </message>
    <message>
        <source>No PostgreSQL connection is configured.</source>
        <translation>Aucune connexion PostgreSQL n’est configurée.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already exists (archived); nothing was changed.</source>
        <translation>Le déploiement « %1 » existe déjà (archivé) ; rien n’a été modifié.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already exists; nothing was changed.</source>
        <translation>Le déploiement « %1 » existe déjà ; rien n’a été modifié.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created, nothing was changed: %2</source>
        <translation>Déploiement « %1 » non créé, rien n’a été modifié : %2</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: %2 Its Redis flags (ML off, 0 %) were written and are harmless; run the same create again to finish.</source>
        <translation>Déploiement « %1 » non créé : %2 Ses drapeaux Redis (ML désactivé, 0 %) ont été écrits et sont sans effet ; relancez la même création pour terminer.</translation>
    </message>
    <message>
        <source>No Redis connection is configured: a deployment&apos;s flags live there.</source>
        <translation>Aucune connexion Redis n’est configurée : les drapeaux d’un déploiement s’y trouvent.</translation>
    </message>
    <message>
        <source>Model %1 has no mldeck.json metadata: it does not name its features.</source>
        <translation>Le modèle %1 n’a pas de métadonnées mldeck.json : il ne nomme pas ses variables.</translation>
    </message>
    <message>
        <source>%1 has no header line: its columns cannot be read.</source>
        <translation>%1 n’a pas de ligne d’en-tête : ses colonnes ne peuvent pas être lues.</translation>
    </message>
    <message>
        <source>%1 names no column.</source>
        <translation>%1 ne nomme aucune colonne.</translation>
    </message>
    <message>
        <source>reference filling: %1 of %2</source>
        <translation>référence en cours de remplissage : %1 sur %2</translation>
    </message>
    <message>
        <source>the first %L1 logged predictions</source>
        <translation>les %L1 premières prédictions journalisées</translation>
    </message>
    <message>
        <source>automatic (snapshot baseline, else the champion&apos;s training window, else the first hour of the log)</source>
        <translation>automatique (instantané baseline, sinon la fenêtre d’entraînement du champion, sinon la première heure du journal)</translation>
    </message>
    <message>
        <source>period %1 to %2</source>
        <translation>période du %1 au %2</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no drift snapshot named &quot;%2&quot;.</source>
        <translation>Le déploiement « %1 » n’a pas d’instantané de dérive nommé « %2 ».</translation>
    </message>
    <message>
        <source>drift reference: %1</source>
        <translation>référence de dérive : %1</translation>
    </message>
    <message>
        <source>The deployment has no feature schema yet: register a model or create it with one first.</source>
        <translation>Le déploiement n’a pas encore de schéma de variables : enregistrez d’abord un modèle ou créez-le avec un schéma.</translation>
    </message>
    <message>
        <source>Column &quot;%1&quot; of %2 must hold numbers.</source>
        <translation>La colonne « %1 » de %2 doit contenir des nombres.</translation>
    </message>
    <message>
        <source>Feature &quot;%1&quot; of the deployment is not a column of %2.</source>
        <translation>La variable « %1 » du déploiement n’est pas une colonne de %2.</translation>
    </message>
    <message>
        <source>Feature &quot;%1&quot; is numeric but column &quot;%1&quot; of %2 holds text.</source>
        <translation>La variable « %1 » est numérique mais la colonne « %1 » de %2 contient du texte.</translation>
    </message>
    <message>
        <source>%1 has no data rows.</source>
        <translation>%1 n’a aucune ligne de données.</translation>
    </message>
    <message>
        <source>drift reference: snapshot %1 from %2 (%3 rows)</source>
        <translation>référence de dérive : instantané %1 depuis %2 (%3 lignes)</translation>
    </message>
    <message>
        <source>Changed in the settings editor</source>
        <translation>Modifié dans l’éditeur de réglages</translation>
    </message>
    <message>
        <source>Your role may not read the webhook&apos;s URL (it may hold a token).</source>
        <translation>Votre rôle ne peut pas lire l’URL du webhook (elle peut contenir un jeton).</translation>
    </message>
    <message>
        <source>&quot;%1&quot; has no webhook yet: save one first.</source>
        <translation>« %1 » n’a pas encore de webhook : enregistrez-en un d’abord.</translation>
    </message>
    <message>
        <source>Webhook test</source>
        <translation>Test du webhook</translation>
    </message>
    <message>
        <source>The test was not delivered: %1</source>
        <translation>Le test n’a pas été livré : %1</translation>
    </message>
    <message>
        <source>Test delivered (HTTP %1).</source>
        <translation>Test livré (HTTP %1).</translation>
    </message>
    <message>
        <source>drift: %1 (drift starts when the reference is full)</source>
        <translation>dérive : %1 (la dérive commence quand la référence est pleine)</translation>
    </message>
    <message>
        <source>satisfaction: %1 (no feedback)</source>
        <translation>satisfaction : %1 (aucun retour)</translation>
    </message>
    <message>
        <source>MAE of the window: %1 (no outcomes)</source>
        <translation>MAE de la fenêtre : %1 (aucun résultat)</translation>
    </message>
    <message>
        <source>%1 has no metadata: its classes are unknown, so it cannot be compared with the classifier %2.</source>
        <translation>%1 n’a pas de métadonnées : ses classes sont inconnues, il ne peut donc pas être comparé au classifieur %2.</translation>
    </message>
    <message>
        <source>%1 predicts the classes %2 and %3 the classes %4: they cannot be compared.</source>
        <translation>%1 prédit les classes %2 et %3 les classes %4 : ils ne peuvent pas être comparés.</translation>
    </message>
    <message>
        <source>Row %1: the target &quot;%2&quot; is %3, but a classifier&apos;s target is the index of the true class, 0 to %4 (%5).</source>
        <translation>Ligne %1 : la cible « %2 » vaut %3, mais la cible d’un classifieur est l’indice de la classe réelle, de 0 à %4 (%5).</translation>
    </message>
    <message>
        <source>predicted class</source>
        <translation>classe prédite</translation>
    </message>
    <message>
        <source>ML accuracy %1 %2</source>
        <translation>Exactitude du ML %1 %2</translation>
    </message>
    <message>
        <source>ML F1 %1 %2</source>
        <translation>F1 du ML %1 %2</translation>
    </message>
    <message>
        <source>ML log-loss %1 %2</source>
        <translation>Log-loss du ML %1 %2</translation>
    </message>
    <message>
        <source>ML calibration error (ECE) %1 %2</source>
        <translation>Erreur de calibration du ML (ECE) %1 %2</translation>
    </message>
    <message>
        <source>ML estimated accuracy %1 %2</source>
        <translation>Exactitude estimée du ML %1 %2</translation>
    </message>
    <message>
        <source>The decision metric of a classifier must be &quot;accuracy&quot; or &quot;log_loss&quot; (got &quot;%1&quot;).</source>
        <translation>La métrique de décision d’un classifieur doit être « accuracy » ou « log_loss » (reçu « %1 »).</translation>
    </message>
    <message>
        <source>Classification deployment &quot;%1&quot; has no valid classes to retrain with: %2</source>
        <translation>Le déploiement de classification « %1 » n’a pas de classes valides pour le réentraînement : %2</translation>
    </message>
    <message>
        <source>%1 rows left out: their label is not a class index from 0 to %2.</source>
        <translation>%1 lignes écartées : leur étiquette n’est pas un indice de classe de 0 à %2.</translation>
    </message>
    <message>
        <source>model %1 is not a classifier (task &quot;%2&quot;).</source>
        <translation>le modèle %1 n’est pas un classifieur (tâche « %2 »).</translation>
    </message>
    <message>
        <source>the model&apos;s classes (%1) are not the deployment&apos;s (%2).</source>
        <translation>les classes du modèle (%1) ne sont pas celles du déploiement (%2).</translation>
    </message>
    <message>
        <source>Promote: the candidate&apos;s accuracy is %1 points higher than the champion&apos;s (%2 vs %3; at least %4 points needed) and the %5 interval of the difference [%6, %7] excludes no improvement.</source>
        <translation>Promouvoir : l’exactitude du candidat dépasse celle du champion de %1 points (%2 contre %3 ; au moins %4 points requis) et l’intervalle à %5 de la différence [%6, %7] exclut l’absence d’amélioration.</translation>
    </message>
    <message>
        <source>Do not promote: the candidate&apos;s accuracy (%1) is not higher than the champion&apos;s (%2).</source>
        <translation>Ne pas promouvoir : l’exactitude du candidat (%1) n’est pas supérieure à celle du champion (%2).</translation>
    </message>
    <message>
        <source>Do not promote: the candidate&apos;s accuracy is only %1 points higher than the champion&apos;s (%2 vs %3); at least %4 points are required.</source>
        <translation>Ne pas promouvoir : l’exactitude du candidat ne dépasse celle du champion que de %1 points (%2 contre %3) ; au moins %4 points sont requis.</translation>
    </message>
    <message>
        <source>Do not promote: the accuracy is %1 points higher, but the %2 interval of the difference [%3, %4] does not exclude no improvement: the gain may be chance.</source>
        <translation>Ne pas promouvoir : l’exactitude est supérieure de %1 points, mais l’intervalle à %2 de la différence [%3, %4] n’exclut pas l’absence d’amélioration : le gain peut être dû au hasard.</translation>
    </message>
    <message>
        <source>Promote: the candidate&apos;s %1 is %2 better than the champion&apos;s (%3 vs %4; at least %5 needed) and the %6 interval of the difference [%7, %8] excludes no improvement.</source>
        <translation>Promouvoir : la %1 du candidat est meilleure de %2 que celle du champion (%3 contre %4 ; au moins %5 requis) et l’intervalle à %6 de la différence [%7, %8] exclut l’absence d’amélioration.</translation>
    </message>
    <message>
        <source>Do not promote: the candidate&apos;s %1 (%2) is not better than the champion&apos;s (%3).</source>
        <translation>Ne pas promouvoir : la %1 du candidat (%2) n’est pas meilleure que celle du champion (%3).</translation>
    </message>
    <message>
        <source>Do not promote: the candidate&apos;s %1 is only %2 better than the champion&apos;s (%3 vs %4); at least %5 is required.</source>
        <translation>Ne pas promouvoir : la %1 du candidat n’est meilleure que celle du champion que de %2 (%3 contre %4) ; au moins %5 est requis.</translation>
    </message>
    <message>
        <source>Do not promote: the %1 is %2 better, but the %3 interval of the difference [%4, %5] does not exclude no improvement: the gain may be chance.</source>
        <translation>Ne pas promouvoir : la %1 est meilleure de %2, mais l’intervalle à %3 de la différence [%4, %5] n’exclut pas l’absence d’amélioration : le gain peut être dû au hasard.</translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation>log-loss</translation>
    </message>
    <message>
        <source>Accuracy of the window below target</source>
        <translation>Exactitude de la période sous l’objectif</translation>
    </message>
    <message>
        <source>Due: the accuracy of the window (%1 %) is below the target (%2 %).</source>
        <translation>À faire : l’exactitude de la période (%1 %) est sous l’objectif (%2 %).</translation>
    </message>
    <message>
        <source>accuracy of the window: %1 (no labels)</source>
        <translation>exactitude de la fenêtre : %1 (aucune étiquette)</translation>
    </message>
    <message>
        <source>An export is already running; wait for it or cancel it.</source>
        <translation>Un export est déjà en cours ; attendez qu’il se termine ou annulez-le.</translation>
    </message>
    <message>
        <source>audit chain: PostgreSQL unavailable: %1</source>
        <translation>chaîne d’audit : PostgreSQL indisponible : %1</translation>
    </message>
    <message>
        <source>audit chain: %1</source>
        <translation>chaîne d’audit : %1</translation>
    </message>
    <message>
        <source>audit chain: %1 intact (%2 rows)</source>
        <translation>chaîne d’audit : %1 intacte (%2 lignes)</translation>
    </message>
    <message>
        <source>Audit log of %1 tampered with at row %2</source>
        <translation>Journal d’audit de %1 falsifié à la ligne %2</translation>
    </message>
    <message>
        <source>Audit log of %1 tampered with: its last rows are missing</source>
        <translation>Journal d’audit de %1 falsifié : ses dernières lignes manquent</translation>
    </message>
    <message>
        <source>audit chain: %1 BROKEN: %2</source>
        <translation>chaîne d’audit : %1 ROMPUE : %2</translation>
    </message>
    <message>
        <source>multivariate</source>
        <translation>multivariée</translation>
    </message>
    <message>
        <source>Drift on %1: mean reconstruction error %2 outside the reference band %3 to %4</source>
        <translation>Dérive sur %1 : erreur de reconstruction moyenne %2 hors de la bande de référence de %3 à %4</translation>
    </message>
    <message>
        <source>Cannot read the golden dataset %1: %2</source>
        <translation>Impossible de lire le jeu de données de référence %1 : %2</translation>
    </message>
    <message>
        <source>The golden dataset %1 is larger than %2 MB.</source>
        <translation>Le jeu de données de référence %1 dépasse %2 Mo.</translation>
    </message>
    <message>
        <source>Your database role may not record a run of the model checks (mldeck_operator, mldeck_scientist or mldeck_admin may).</source>
        <translation>Votre rôle de base de données ne peut pas enregistrer une exécution des contrôles du modèle (mldeck_operator, mldeck_scientist ou mldeck_admin le peuvent).</translation>
    </message>
    <message>
        <source>The golden dataset of &quot;%1&quot; no longer fits the deployment: %2 Register it again or remove it (mldeckctl models golden remove).</source>
        <translation>Le jeu de données de référence de « %1 » ne correspond plus au déploiement : %2 Enregistrez-le à nouveau ou supprimez-le (mldeckctl models golden remove).</translation>
    </message>
    <message>
        <source>The stored golden dataset of &quot;%1&quot; does not match its SHA-256: register it again.</source>
        <translation>Le jeu de données de référence enregistré de « %1 » ne correspond pas à son SHA-256 : enregistrez-le à nouveau.</translation>
    </message>
    <message>
        <source>The candidate %1@%2 cannot be loaded: %3</source>
        <translation>Le candidat %1@%2 ne peut pas être chargé : %3</translation>
    </message>
    <message>
        <source>%1@%2 cannot be loaded: %3</source>
        <translation>%1@%2 ne peut pas être chargé : %3</translation>
    </message>
    <message>
        <source>Promotion refused: the model checks could not run: %1</source>
        <translation>Promotion refusée : les contrôles du modèle n’ont pas pu s’exécuter : %1</translation>
    </message>
    <message>
        <source>Promotion refused: %1@%2 fails the model checks: %3</source>
        <translation>Promotion refusée : %1@%2 échoue aux contrôles du modèle : %3</translation>
    </message>
    <message>
        <source>Nanny %1 of &quot;%2&quot; is no longer the newest.</source>
        <translation>Le modèle nanny %1 de « %2 » n’est plus le plus récent.</translation>
    </message>
    <message>
        <source>The weights of nanny %1 of &quot;%2&quot; do not match their SHA-256.</source>
        <translation>Les poids du modèle nanny %1 de « %2 » ne correspondent pas à leur SHA-256.</translation>
    </message>
    <message>
        <source>Feature schema %1 of &quot;%2&quot; has no numeric feature &quot;%3&quot;, which model %4 needs.</source>
        <translation>Le schéma de variables %1 de « %2 » n’a pas la variable numérique « %3 », dont le modèle %4 a besoin.</translation>
    </message>
    <message>
        <source>Feature schema %1 of &quot;%2&quot; has no categorical feature &quot;%3&quot;, which model %4 needs.</source>
        <translation>Le schéma de variables %1 de « %2 » n’a pas la variable catégorielle « %3 », dont le modèle %4 a besoin.</translation>
    </message>
    <message>
        <source>The reference has no outcome column.</source>
        <translation>La référence n’a pas de colonne de résultat.</translation>
    </message>
    <message>
        <source>The reference has no numeric feature &quot;%1&quot;, which model %2 needs.</source>
        <translation>La référence n’a pas la variable numérique « %1 », dont le modèle %2 a besoin.</translation>
    </message>
    <message>
        <source>The reference has no categorical feature &quot;%1&quot;, which model %2 needs.</source>
        <translation>La référence n’a pas la variable catégorielle « %1 », dont le modèle %2 a besoin.</translation>
    </message>
    <message>
        <source>The drift reference of &quot;%1&quot; (%2, %3 to %4) overlaps the champion&apos;s training window (%5 to %6): on the rows it was fitted on, a model&apos;s error is optimistic, so the nanny must not learn there. Set a reference outside that window (mldeckctl drift reference set --deployment %1 --period FROM/TO).</source>
        <translation>La référence de dérive de « %1 » (%2, de %3 à %4) chevauche la fenêtre d’entraînement du champion (de %5 à %6) : sur les lignes sur lesquelles il a été ajusté, l’erreur d’un modèle est optimiste, le modèle nanny ne doit donc pas y apprendre. Choisissez une référence hors de cette fenêtre (mldeckctl drift reference set --deployment %1 --period DEBUT/FIN).</translation>
    </message>
    <message>
        <source>The backfill must not be negative.</source>
        <translation>Le rattrapage ne peut pas être négatif.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no champion: the nanny estimates the champion&apos;s error.</source>
        <translation>Le déploiement « %1 » n’a pas de champion : le modèle nanny estime l’erreur du champion.</translation>
    </message>
    <message>
        <source>The champion of &quot;%1&quot; is a classifier: the nanny estimates the error of a regression model (a classifier has its estimated accuracy).</source>
        <translation>Le champion de « %1 » est un classifieur : le modèle nanny estime l’erreur d’un modèle de régression (un classifieur a son exactitude estimée).</translation>
    </message>
    <message>
        <source>The drift reference of &quot;%1&quot;: %2</source>
        <translation>La référence de dérive de « %1 » : %2</translation>
    </message>
    <message>
        <source>The nanny of &quot;%1&quot; (reference: %2): %3</source>
        <translation>Le modèle nanny de « %1 » (référence : %2) : %3</translation>
    </message>
    <message>
        <source>Not advanced: the gates (%1) are inconclusive, waiting for %2. Wait, or give an override reason.</source>
        <translation>Pas d’avancée : les critères (%1) ne sont pas concluants, en attente de %2. Attendez, ou donnez un motif de dérogation.</translation>
    </message>
    <message>
        <source>Not advanced: the combination (%1) can never be met by the gates this deployment has. Change the plan, or give an override reason.</source>
        <translation>Non avancé : la combinaison (%1) ne peut jamais être satisfaite par les seuils de ce déploiement. Modifiez le plan ou donnez un motif de dérogation.</translation>
    </message>
    <message>
        <source>Not advanced: gates failing (%1): %2. Wait, or give an override reason.</source>
        <translation>Pas d’avancée : critères non satisfaits (%1) : %2. Attendez, ou donnez un motif de dérogation.</translation>
    </message>
    <message>
        <source>staged plan: step %1 (%2 %) -&gt; step %3 (%4 %), gates passed (%5)</source>
        <translation>plan par étapes : étape %1 (%2 %) -&gt; étape %3 (%4 %), critères satisfaits (%5)</translation>
    </message>
    <message>
        <source>ML estimated MAE %1 %2</source>
        <translation>MAE estimée du ML %1 %2</translation>
    </message>
    <message>
        <source>nanny: PostgreSQL unavailable: %1</source>
        <translation>nanny : PostgreSQL indisponible : %1</translation>
    </message>
    <message>
        <source>nanny: %1</source>
        <translation>nanny : %1</translation>
    </message>
    <message>
        <source>nanny: no regression champion</source>
        <translation>nanny : pas de champion de régression</translation>
    </message>
    <message numerus="yes">
        <source>nanny: %n logged row(s) of %1 skipped (a missing or non-finite value, or a non-finite estimate)</source>
        <translation>
            <numerusform>nanny : %n ligne journalisée de %1 ignorée (une valeur manquante ou non finie, ou une estimation non finie)</numerusform>
            <numerusform>nanny : %n lignes journalisées de %1 ignorées (une valeur manquante ou non finie, ou une estimation non finie)</numerusform>
        </translation>
    </message>
    <message>
        <source>nanny: none for %1 (last training failed: %2)</source>
        <translation>nanny : aucun pour %1 (le dernier entraînement a échoué : %2)</translation>
    </message>
    <message>
        <source>the champion changed to %1</source>
        <translation>le champion est devenu %1</translation>
    </message>
    <message>
        <source>first nanny of champion %1</source>
        <translation>premier modèle nanny du champion %1</translation>
    </message>
    <message>
        <source>nanny: training for %1 failed: %2</source>
        <translation>nanny : l’entraînement pour %1 a échoué : %2</translation>
    </message>
    <message>
        <source>nanny: trained for %1 of %2 (%3)</source>
        <translation>nanny : entraîné pour %1 de %2 (%3)</translation>
    </message>
    <message>
        <source>nanny: another scorer is on it</source>
        <translation>nanny : un autre évaluateur s’en occupe</translation>
    </message>
    <message>
        <source>nanny: no nanny in use for the champion (it is being trained elsewhere, or its training was refused)</source>
        <translation>nanny : aucun modèle nanny en service pour le champion (il est en cours d’entraînement ailleurs, ou son entraînement a été refusé)</translation>
    </message>
    <message>
        <source>nanny: scoring version %1, up to date (scored to %2)</source>
        <translation>nanny : évaluation de la version %1, à jour (évaluée jusqu’à %2)</translation>
    </message>
    <message numerus="yes">
        <source>nanny: scoring version %1, catching up: %n prediction(s) scored (scored to %2)</source>
        <translation>
            <numerusform>nanny : évaluation de la version %1, rattrapage : %n prédiction évaluée (évaluée jusqu’à %2)</numerusform>
            <numerusform>nanny : évaluation de la version %1, rattrapage : %n prédictions évaluées (évaluées jusqu’à %2)</numerusform>
        </translation>
    </message>
    <message>
        <source>Running the model checks</source>
        <translation>Exécution des contrôles du modèle</translation>
    </message>
    <message>
        <source>%1 holds no image in a class subfolder (%2).</source>
        <translation>%1 ne contient aucune image dans un sous-dossier de classe (%2).</translation>
    </message>
    <message>
        <source>labelled folder %1</source>
        <translation>dossier étiqueté %1</translation>
    </message>
    <message>
        <source>The model&apos;s classes (%1) differ from those of deployment &quot;%2&quot; (%3): its logged outcomes cannot be scored against this model.</source>
        <translation>Les classes du modèle (%1) diffèrent de celles du déploiement « %2 » (%3) : ses résultats journalisés ne peuvent pas servir à évaluer ce modèle.</translation>
    </message>
    <message>
        <source>The image store of &quot;%1&quot;: %2</source>
        <translation>Le stockage d’images de « %1 » : %2</translation>
    </message>
    <message>
        <source>%1, labelled image predictions, %2</source>
        <translation>%1, prédictions d’images étiquetées, %2</translation>
    </message>
    <message numerus="yes">
        <source>%1×%2 (%n image(s)</source>
        <translation>
            <numerusform>%1×%2 (%n image(s)</numerusform>
            <numerusform>%1×%2 (%n image(s)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n other size(s)</source>
        <translation>
            <numerusform>%n autre(s) taille(s)</numerusform>
            <numerusform>%n autre(s) taille(s)</numerusform>
        </translation>
    </message>
    <message>
        <source>The images have %1 sizes, each resized to the model&apos;s input: %2.</source>
        <translation>Les images ont %1 tailles, chacune redimensionnée à l’entrée du modèle : %2.</translation>
    </message>
    <message>
        <source>not read by every model</source>
        <translation>non lue par tous les modèles</translation>
    </message>
    <message numerus="yes">
        <source>None of the %n image(s) could be used (%1).</source>
        <translation>
            <numerusform>Aucune des %n image(s) n’a pu être utilisée (%1).</numerusform>
            <numerusform>Aucune des %n image(s) n’a pu être utilisée (%1).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) could not be read and were left out (listed by key with the reason).</source>
        <translation>
            <numerusform>%n image(s) n’ont pas pu être lue(s) et ont été écartée(s) (listées par clé avec la raison).</numerusform>
            <numerusform>%n image(s) n’ont pas pu être lue(s) et ont été écartée(s) (listées par clé avec la raison).</numerusform>
        </translation>
    </message>
    <message>
        <source>%1: %2 images/s; reading, decoding and preprocessing %3 s, model %4 s.</source>
        <translation>%1 : %2 images/s ; lecture, décodage et prétraitement %3 s, modèle %4 s.</translation>
    </message>
    <message>
        <source>true class</source>
        <translation>vraie classe</translation>
    </message>
    <message>
        <source>%1 takes %2 and %3 takes %4: they cannot be compared.</source>
        <translation>%1 prend %2 et %3 prend %4 : ils ne peuvent pas être comparés.</translation>
    </message>
    <message>
        <source>images</source>
        <translation>des images</translation>
    </message>
    <message>
        <source>rows</source>
        <translation>des lignes</translation>
    </message>
    <message>
        <source>%1 takes images: give a labelled image folder or a time window, not a CSV file.</source>
        <translation>%1 prend des images : donnez un dossier d’images étiqueté ou une fenêtre de temps, pas un fichier CSV.</translation>
    </message>
    <message>
        <source>%1 takes images: a target column or a feature list (--target, --features) does not apply.</source>
        <translation>%1 prend des images : une colonne cible ou une liste de variables (--target, --features) ne s’applique pas.</translation>
    </message>
    <message>
        <source>Listing images</source>
        <translation>Liste des images</translation>
    </message>
    <message>
        <source>Give one source of rows: a CSV file, a labelled image folder or a time window.</source>
        <translation>Donnez une seule source de lignes : un fichier CSV, un dossier d’images étiqueté ou une fenêtre de temps.</translation>
    </message>
    <message>
        <source>%1 takes rows, not images: give a CSV file or a time window.</source>
        <translation>%1 prend des lignes, pas des images : donnez un fichier CSV ou une fenêtre de temps.</translation>
    </message>
    <message>
        <source>image brightness</source>
        <translation>luminosité des images</translation>
    </message>
    <message>
        <source>image contrast</source>
        <translation>contraste des images</translation>
    </message>
    <message>
        <source>image width</source>
        <translation>largeur des images</translation>
    </message>
    <message>
        <source>image height</source>
        <translation>hauteur des images</translation>
    </message>
    <message>
        <source>no image read: %1</source>
        <translation>aucune image lue : %1</translation>
    </message>
    <message>
        <source>no image to sample</source>
        <translation>aucune image à échantillonner</translation>
    </message>
    <message numerus="yes">
        <source>computed from %Ln sampled image(s) of %L1</source>
        <translation>
            <numerusform>calculée sur %Ln image échantillonnée parmi %L1</numerusform>
            <numerusform>calculée sur %Ln images échantillonnées parmi %L1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>computed from %L1 of %Ln sampled image(s) of %L2 (%L3 unreadable)</source>
        <translation>
            <numerusform>calculée sur %L1 des %Ln image échantillonnée parmi %L2 (%L3 illisibles)</numerusform>
            <numerusform>calculée sur %L1 des %Ln images échantillonnées parmi %L2 (%L3 illisibles)</numerusform>
        </translation>
    </message>
    <message>
        <source>Image statistics (brightness, contrast, width, height) computed by MLDeck from a sample of at most %L1 images per side, read through %2:</source>
        <translation>Statistiques d’images (luminosité, contraste, largeur, hauteur) calculées par MLDeck sur un échantillon d’au plus %L1 images de chaque côté, lues dans %2 :</translation>
    </message>
    <message>
        <source>%1: %2, %3</source>
        <translation>%1 : %2, %3</translation>
    </message>
    <message>
        <source>unreadable %1: %2</source>
        <translation>illisible %1 : %2</translation>
    </message>
    <message>
        <source>and %L1 more unreadable</source>
        <translation>et %L1 autres illisibles</translation>
    </message>
    <message>
        <source>window</source>
        <translation>fenêtre</translation>
    </message>
    <message>
        <source>reference</source>
        <translation>référence</translation>
    </message>
    <message>
        <source>a snapshot keeps no image keys</source>
        <translation>un instantané ne garde pas de clés d’image</translation>
    </message>
    <message numerus="yes">
        <source>the reference&apos;s predictions have %Ln image key(s)</source>
        <translation>
            <numerusform>les prédictions de la référence ont %Ln clé(s) d’image</numerusform>
            <numerusform>les prédictions de la référence ont %Ln clé(s) d’image</numerusform>
        </translation>
    </message>
    <message>
        <source>the reference&apos;s logged images</source>
        <translation>les images journalisées de la référence</translation>
    </message>
    <message>
        <source>the reference&apos;s logged images (%1; no reference set to fall back on)</source>
        <translation>les images journalisées de la référence (%1 ; pas de jeu de référence sur lequel se replier)</translation>
    </message>
    <message>
        <source>the reference set %1 (%2)</source>
        <translation>le jeu de référence %1 (%2)</translation>
    </message>
    <message>
        <source>the image configuration of &quot;%1&quot; does not read: %2</source>
        <translation>la configuration d’images de « %1 » est illisible : %2</translation>
    </message>
    <message>
        <source>the window&apos;s logged images</source>
        <translation>les images journalisées de la fenêtre</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; takes images, and this model takes features: an image model declares &quot;input&quot;: &quot;image&quot; in its mldeck.json.</source>
        <translation>Le déploiement « %1 » prend des images, et ce modèle prend des variables : un modèle d’images déclare &quot;input&quot;: &quot;image&quot; dans son mldeck.json.</translation>
    </message>
    <message>
        <source>The model&apos;s classes [%1] are not those of image deployment &quot;%2&quot; [%3] (the same names in the same order).</source>
        <translation>Les classes du modèle [%1] ne sont pas celles du déploiement d’images « %2 » [%3] (mêmes noms dans le même ordre).</translation>
    </message>
    <message>
        <source>This model takes images, and deployment &quot;%1&quot; takes tabular features: register it to an image deployment.</source>
        <translation>Ce modèle prend des images, et le déploiement « %1 » prend des variables tabulaires : enregistrez-le dans un déploiement d’images.</translation>
    </message>
    <message>
        <source>; image statistics of the window %1, of the reference %2</source>
        <translation>; statistiques d’images de la fenêtre %1, de la référence %2</translation>
    </message>
    <message>
        <source>Image deployment &quot;%1&quot; has no holdout set: candidate and champion are compared on it. Set one with `mldeckctl deployments images set`.</source>
        <translation>Le déploiement d’images « %1 » n’a pas d’ensemble de test : candidat et champion y sont comparés. Définissez-en un avec `mldeckctl deployments images set`.</translation>
    </message>
    <message>
        <source>Reference set: %1</source>
        <translation>Ensemble de référence : %1</translation>
    </message>
    <message>
        <source>Holdout set: %1</source>
        <translation>Ensemble de test : %1</translation>
    </message>
    <message>
        <source>The holdout set %1 holds no image.</source>
        <translation>L’ensemble de test %1 ne contient aucune image.</translation>
    </message>
    <message numerus="yes">
        <source>%n logged prediction(s) of an image already in the window were merged (one item per image, its latest label).</source>
        <translation>
            <numerusform>%n prédiction journalisée d’une image déjà présente dans la fenêtre a été fusionnée (un élément par image, sa dernière étiquette).</numerusform>
            <numerusform>%n prédictions journalisées d’une image déjà présente dans la fenêtre ont été fusionnées (un élément par image, sa dernière étiquette).</numerusform>
        </translation>
    </message>
    <message>
        <source>No image prediction in the window has a class as its outcome yet: the training images are the reference set&apos;s.</source>
        <translation>Aucune prédiction d’image de la fenêtre n’a encore de classe pour résultat : les images d’entraînement sont celles du jeu de référence.</translation>
    </message>
    <message numerus="yes">
        <source>Only %n training image(s): a run needs at least %1.</source>
        <translation>
            <numerusform>Seulement %n image d’entraînement : une exécution en demande au moins %1.</numerusform>
            <numerusform>Seulement %n images d’entraînement : une exécution en demande au moins %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n logged image(s) are in the holdout set and were left out.</source>
        <translation>
            <numerusform>%n image journalisée est dans le jeu de test et a été écartée.</numerusform>
            <numerusform>%n images journalisées sont dans le jeu de test et ont été écartées.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>No holdout image could be read: %n skipped.</source>
        <translation>
            <numerusform>Aucune image de test n’a pu être lue : %n ignorée(s).</numerusform>
            <numerusform>Aucune image de test n’a pu être lue : %n ignorée(s).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Evaluating candidate and champion on %n holdout images</source>
        <translation>
            <numerusform>Évaluation du candidat et du champion sur %n image du jeu de test</numerusform>
            <numerusform>Évaluation du candidat et du champion sur %n images du jeu de test</numerusform>
        </translation>
    </message>
    <message>
        <source>not computed over a window read from sketches (the PCA needs the rows)</source>
        <translation>non calculé sur une fenêtre lue à partir des esquisses (l’ACP a besoin des lignes)</translation>
    </message>
    <message>
        <source>A stored sketch of &quot;%1&quot; (%2) is unreadable: %3</source>
        <translation>Une esquisse enregistrée de « %1 » (%2) est illisible : %3</translation>
    </message>
    <message>
        <source>Applied on the master, not yet replicated (%1): do not apply it again; a failover before a replica catches up could lose it.</source>
        <translation>Appliqué sur le maître, pas encore répliqué (%1) : ne l’appliquez pas à nouveau ; une bascule avant qu’un réplica ne le rattrape pourrait le perdre.</translation>
    </message>
    <message>
        <source>no replica acknowledged it within %1 ms</source>
        <translation>aucun réplica ne l’a confirmé en %1 ms</translation>
    </message>
    <message>
        <source>the master is unreachable</source>
        <translation>le maître est injoignable</translation>
    </message>
    <message numerus="yes">
        <source>Confirmed by the master %1 and a replica (%n attempt(s)).</source>
        <translation>
            <numerusform>Confirmé par le maître %1 et un réplica (%n tentative).</numerusform>
            <numerusform>Confirmé par le maître %1 et un réplica (%n tentatives).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 (tried %n time(s) in %2 s through the sentinels)</source>
        <translation>
            <numerusform>%1 (%n essai en %2 s par les sentinelles)</numerusform>
            <numerusform>%1 (%n essais en %2 s par les sentinelles)</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is not a standby (not in recovery)</source>
        <translation>%1 n’est pas un secondaire (pas en mode restauration)</translation>
    </message>
    <message>
        <source>, master %1</source>
        <translation>, maître %1</translation>
    </message>
    <message numerus="yes">
        <source>, %n replica(s) online</source>
        <translation>
            <numerusform>, %n réplica en ligne</numerusform>
            <numerusform>, %n réplicas en ligne</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>read replica unreachable: reading from the primary (%1; next try in %n s)</source>
        <translation>
            <numerusform>réplique de lecture injoignable : lecture sur le primaire (%1 ; nouvel essai dans %n s)</numerusform>
            <numerusform>réplique de lecture injoignable : lecture sur le primaire (%1 ; nouvel essai dans %n s)</numerusform>
        </translation>
    </message>
    <message>
        <source>lag %1 s</source>
        <translation>retard %1 s</translation>
    </message>
    <message>
        <source>lag unknown</source>
        <translation>retard inconnu</translation>
    </message>
    <message numerus="yes">
        <source>read from the standby %1, %2: STALE (more than %n s behind the primary)</source>
        <translation>
            <numerusform>lu sur le secondaire %1, %2 : PÉRIMÉ (plus de %n s de retard sur le primaire)</numerusform>
            <numerusform>lu sur le secondaire %1, %2 : PÉRIMÉ (plus de %n s de retard sur le primaire)</numerusform>
        </translation>
    </message>
    <message>
        <source>read from the standby %1, %2</source>
        <translation>lu sur le secondaire %1, %2</translation>
    </message>
    <message>
        <source>; feature sketches not updated: %1</source>
        <translation>; esquisses des variables non mises à jour : %1</translation>
    </message>
    <message numerus="yes">
        <source>; %n hour(s) sketched</source>
        <translation>
            <numerusform>; %n heure esquissée</numerusform>
            <numerusform>; %n heures esquissées</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>; window read from %n hourly sketch(es)</source>
        <translation>
            <numerusform>; fenêtre lue à partir de %n esquisse horaire</numerusform>
            <numerusform>; fenêtre lue à partir de %n esquisses horaires</numerusform>
        </translation>
    </message>
    <message>
        <source>retention: PostgreSQL unavailable: %1</source>
        <translation>rétention : PostgreSQL indisponible : %1</translation>
    </message>
    <message>
        <source>retention: %1</source>
        <translation>rétention : %1</translation>
    </message>
    <message numerus="yes">
        <source>; %n hour(s) kept at minute resolution (hour rows disagree)</source>
        <translation>
            <numerusform>; %n heure conservée à la résolution de la minute (ses lignes horaires ne concordent pas)</numerusform>
            <numerusform>; %n heures conservées à la résolution de la minute (leurs lignes horaires ne concordent pas)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>retention: %n partition(s) dropped (%1 rows), %2 rows deleted, %3 label states trimmed, %4 minute rows folded into %5 hours%6%7</source>
        <translation>
            <numerusform>rétention : %n partition supprimée (%1 lignes), %2 lignes effacées, %3 états d’étiquette élagués, %4 lignes d’agrégats par minute repliées en %5 heures%6%7</numerusform>
            <numerusform>rétention : %n partitions supprimées (%1 lignes), %2 lignes effacées, %3 états d’étiquette élagués, %4 lignes d’agrégats par minute repliées en %5 heures%6%7</numerusform>
        </translation>
    </message>
    <message>
        <source>; first_rows drift reference kept as a snapshot: %1</source>
        <translation>; référence de dérive first_rows conservée dans un instantané : %1</translation>
    </message>
</context>
<context>
    <name>mldeck::simulator</name>
    <message>
        <source>Champion version %1 cannot be served: %2</source>
        <translation>La version champion %1 ne peut pas être servie : %2</translation>
    </message>
    <message>
        <source>Cannot read the champion: %1</source>
        <translation>Impossible de lire le champion : %1</translation>
    </message>
    <message>
        <source>Cannot follow the champion in Redis: %1</source>
        <translation>Impossible de suivre le champion dans Redis : %1</translation>
    </message>
    <message>
        <source>Lost the champion channel: %1</source>
        <translation>Canal du champion perdu : %1</translation>
    </message>
    <message>
        <source>%1 rows could not be written to PostgreSQL (%2 dropped while it was unreachable): %3</source>
        <translation>%1 lignes n’ont pas pu être écrites dans PostgreSQL (%2 abandonnées pendant qu’il était injoignable) : %3</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a duration (examples: 250ms, 30s, 5m, 1h).</source>
        <translation>« %1 » n’est pas une durée (exemples : 250ms, 30s, 5m, 1h).</translation>
    </message>
    <message>
        <source>Scenarios are NAME[@START][+DURATION] with NAME one of %1, e.g. drift@5m or errors@2m+3m.</source>
        <translation>Les scénarios s’écrivent NOM[@DÉBUT][+DURÉE], NOM étant l’un de %1, par ex. drift@5m ou errors@2m+3m.</translation>
    </message>
    <message>
        <source>Bad scenario &quot;%1&quot;. </source>
        <translation>Scénario « %1 » incorrect. </translation>
    </message>
    <message>
        <source>Unknown scenario &quot;%1&quot;. </source>
        <translation>Scénario « %1 » inconnu. </translation>
    </message>
    <message>
        <source>The duration of scenario &quot;%1&quot; must be positive.</source>
        <translation>La durée du scénario « %1 » doit être positive.</translation>
    </message>
    <message>
        <source>the model returned no prediction</source>
        <translation>le modèle n’a renvoyé aucune prédiction</translation>
    </message>
    <message>
        <source>model server error (simulated fault)</source>
        <translation>erreur du serveur de modèle (panne simulée)</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letters, digits, &apos;-&apos; and &apos;_&apos;).</source>
        <translation>« %1 » n’est pas un nom de déploiement valide (minuscules, chiffres, « - » et « _ »).</translation>
    </message>
    <message>
        <source>The rate must be between 0 and 100000 requests per second.</source>
        <translation>Le débit doit être compris entre 0 et 100000 requêtes par seconde.</translation>
    </message>
    <message>
        <source>The initial percentage must be between 0 and 100.</source>
        <translation>Le pourcentage initial doit être compris entre 0 et 100.</translation>
    </message>
    <message>
        <source>Cannot use model %1: %2</source>
        <translation>Impossible d’utiliser le modèle %1 : %2</translation>
    </message>
    <message>
        <source>The database has no MLDeck schema yet: run &quot;mldeckctl migrate&quot; first.</source>
        <translation>La base n’a pas encore de schéma MLDeck : lancez d’abord « mldeckctl migrate ».</translation>
    </message>
    <message>
        <source>The MLDeck schema is out of date (version %1 of %2): run &quot;mldeckctl migrate&quot;.</source>
        <translation>Le schéma MLDeck n’est pas à jour (version %1 sur %2) : lancez « mldeckctl migrate ».</translation>
    </message>
    <message>
        <source>Ride delay prediction (demo)</source>
        <translation>Prédiction du retard des courses (démo)</translation>
    </message>
    <message>
        <source>The simulator was not prepared.</source>
        <translation>Le simulateur n’a pas été préparé.</translation>
    </message>
    <message>
        <source>Will the driver accept the ride offer (demo)</source>
        <translation>Le chauffeur acceptera-t-il l’offre de course (démo)</translation>
    </message>
    <message>
        <source>The calibration scenario plays on a classification deployment; &quot;%1&quot; is a regression.</source>
        <translation>Le scénario calibration se joue sur un déploiement de classification ; « %1 » est une régression.</translation>
    </message>
    <message>
        <source>Model %1 does not serve the classes of &quot;%2&quot; (%3).</source>
        <translation>Le modèle %1 ne sert pas les classes de « %2 » (%3).</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is a classifier of %2; the simulator serves ride offers, classes %3.</source>
        <translation>Le déploiement « %1 » est un classifieur de %2 ; le simulateur sert des offres de course, classes %3.</translation>
    </message>
    <message>
        <source>The image store %1 has no live pool &quot;%2&quot; (one subfolder per class) for the simulator to serve: make it with resources/models/make_digits_cnn.py images.</source>
        <translation>Le magasin d’images %1 n’a pas de réserve en direct « %2 » (un sous-dossier par classe) que le simulateur puisse servir : créez-la avec resources/models/make_digits_cnn.py images.</translation>
    </message>
    <message>
        <source>The live pool %1 holds no image.</source>
        <translation>La réserve en direct %1 ne contient aucune image.</translation>
    </message>
    <message>
        <source>Cannot decode %1: %2</source>
        <translation>Impossible de décoder %1 : %2</translation>
    </message>
    <message>
        <source>Cannot create the folder %1.</source>
        <translation>Impossible de créer le dossier %1.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is an image deployment: its scenarios are image-drift, errors, latency and degraded.</source>
        <translation>« %1 » est un déploiement d’images : ses scénarios sont image-drift, errors, latency et degraded.</translation>
    </message>
    <message>
        <source>The image-drift scenario plays on an image deployment; &quot;%1&quot; takes tabular features.</source>
        <translation>Le scénario image-drift se joue sur un déploiement d’images ; « %1 » prend des variables tabulaires.</translation>
    </message>
    <message>
        <source>Model %1 takes tabular features; &quot;%2&quot; is an image deployment.</source>
        <translation>Le modèle %1 prend des variables tabulaires ; « %2 » est un déploiement d’images.</translation>
    </message>
    <message>
        <source>Model %1 takes images; &quot;%2&quot; takes tabular features.</source>
        <translation>Le modèle %1 prend des images ; « %2 » prend des variables tabulaires.</translation>
    </message>
    <message>
        <source>The simulator serves images from a folder store; &quot;%1&quot; has a %2 store.</source>
        <translation>Le simulateur sert des images depuis un magasin de type dossier ; « %1 » a un magasin de type %2.</translation>
    </message>
    <message>
        <source>Model %1 takes tabular features, not images.</source>
        <translation>Le modèle %1 prend des variables tabulaires, pas des images.</translation>
    </message>
    <message>
        <source>The live pool cannot be served: %1</source>
        <translation>Le réservoir d’images en direct ne peut pas être servi : %1</translation>
    </message>
    <message>
        <source>The image configuration of &quot;%1&quot; cannot be read: %2</source>
        <translation>La configuration d’images de « %1 » ne peut pas être lue : %2</translation>
    </message>
</context>
<context>
    <name>mldeck::stats</name>
    <message>
        <source>accuracy</source>
        <translation>exactitude</translation>
    </message>
    <message>
        <source>No significant difference on %1 between %2 and %3 (%3 better by %4 %, %5 % CI %6 to %7 %).</source>
        <translation>Pas de différence significative sur %1 entre %2 et %3 (%3 meilleur de %4 %, IC à %5 % de %6 à %7 %).</translation>
    </message>
    <message>
        <source>%1 is %2 % better than %3 on %4, %5 % CI %6–%7 %.</source>
        <translation>%1 est meilleur de %2 % que %3 sur %4, IC à %5 % %6–%7 %.</translation>
    </message>
    <message>
        <source>%1 is %2 % worse than %3 on %4, %5 % CI %6–%7 %.</source>
        <translation>%1 est moins bon de %2 % que %3 sur %4, IC à %5 % %6–%7 %.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a duration: use a whole number with s, m, h or d, e.g. 30s or 10m.</source>
        <translation>« %1 » n’est pas une durée : utilisez un entier suivi de s, m, h ou d, par ex. 30s ou 10m.</translation>
    </message>
    <message>
        <source>The duration &quot;%1&quot; must be above zero.</source>
        <translation>La durée « %1 » doit être supérieure à zéro.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a period: use period:FROM/TO with ISO 8601 times, FROM before TO.</source>
        <translation>« %1 » n’est pas une période : utilisez period:DÉBUT/FIN avec des heures ISO 8601, DÉBUT avant FIN.</translation>
    </message>
    <message>
        <source>drift setting &quot;%1&quot; must be a positive duration.</source>
        <translation>le réglage de dérive « %1 » doit être une durée positive.</translation>
    </message>
    <message>
        <source>unknown drift test &quot;%1&quot; for feature &quot;%2&quot;.</source>
        <translation>test de dérive « %1 » inconnu pour la variable « %2 ».</translation>
    </message>
    <message>
        <source>%1 %2 %3 %4 %5 %6 %7</source>
        <translation>%1 %2 %3 %4 %5 %6 %7</translation>
    </message>
    <message>
        <source>feature</source>
        <translation>variable</translation>
    </message>
    <message>
        <source>test</source>
        <translation>test</translation>
    </message>
    <message>
        <source>score</source>
        <translation>score</translation>
    </message>
    <message>
        <source>p-value</source>
        <translation>valeur p</translation>
    </message>
    <message>
        <source>threshold</source>
        <translation>seuil</translation>
    </message>
    <message>
        <source>effect</source>
        <translation>effet</translation>
    </message>
    <message>
        <source>verdict</source>
        <translation>verdict</translation>
    </message>
    <message>
        <source>too few rows</source>
        <translation>trop peu de lignes</translation>
    </message>
    <message>
        <source>DRIFT</source>
        <translation>DÉRIVE</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>ok</translation>
    </message>
    <message>
        <source>Dataset drift: %1 of %2 features drift (threshold %3 %).</source>
        <translation>Dérive du jeu de données : %1 variables sur %2 dérivent (seuil %3 %).</translation>
    </message>
    <message>
        <source>No dataset drift: %1 of %2 features drift (threshold %3 %).</source>
        <translation>Pas de dérive du jeu de données : %1 variables sur %2 dérivent (seuil %3 %).</translation>
    </message>
    <message>
        <source>%1 has no columns to compare.</source>
        <translation>%1 n’a aucune colonne à comparer.</translation>
    </message>
    <message>
        <source>The duration &quot;%1&quot; is longer than 100 years.</source>
        <translation>La durée « %1 » dépasse 100 ans.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a row count: use first_rows:N with N a whole number from %2 to %3.</source>
        <translation>« %1 » n’est pas un nombre de lignes : utilisez first_rows:N avec N un nombre entier de %2 à %3.</translation>
    </message>
    <message>
        <source>Unknown reference &quot;%1&quot;: use first_rows:N, model, snapshot:NAME, period:FROM/TO, auto, first:DURATION or previous:DURATION.</source>
        <translation>Référence « %1 » inconnue : utilisez first_rows:N, model, snapshot:NOM, period:DEBUT/FIN, auto, first:DUREE ou previous:DUREE.</translation>
    </message>
    <message>
        <source>drift setting &quot;%1&quot; must be a whole number from %2 to %3.</source>
        <translation>le réglage de dérive « %1 » doit être un nombre entier de %2 à %3.</translation>
    </message>
    <message>
        <source>drift setting &quot;%1&quot; must be above 0 and at most %2.</source>
        <translation>le réglage de dérive « %1 » doit être supérieur à 0 et d’au plus %2.</translation>
    </message>
    <message>
        <source>drift setting &quot;%1&quot; must be above 0 and below %2.</source>
        <translation>le réglage de dérive « %1 » doit être supérieur à 0 et inférieur à %2.</translation>
    </message>
    <message>
        <source>drift setting &quot;reference&quot; must be a text such as first_rows:5000.</source>
        <translation>le réglage de dérive « reference » doit être un texte comme first_rows:5000.</translation>
    </message>
    <message>
        <source>drift setting &quot;ignore&quot; must list feature names.</source>
        <translation>le réglage de dérive « ignore » doit lister des noms de variables.</translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation>log-loss</translation>
    </message>
    <message>
        <source>Fewer than %1 predictions: too few to estimate from.</source>
        <translation>Moins de %1 prédictions : trop peu pour une estimation.</translation>
    </message>
    <message>
        <source>The model&apos;s probabilities were not checked on labelled reference data.</source>
        <translation>Les probabilités du modèle n’ont pas été vérifiées sur des données de référence étiquetées.</translation>
    </message>
    <message>
        <source>The model&apos;s probabilities are not calibrated on the reference data (calibration error %1, above %2).</source>
        <translation>Les probabilités du modèle ne sont pas calibrées sur les données de référence (erreur de calibration %1, au-dessus de %2).</translation>
    </message>
    <message>
        <source>The labelled predictions of this period disagree with the calibration (calibration error %1): the model&apos;s probabilities have drifted.</source>
        <translation>Les prédictions étiquetées de cette période contredisent la calibration (erreur de calibration %1) : les probabilités du modèle ont dérivé.</translation>
    </message>
    <message>
        <source>drift setting &quot;multivariate&quot; must be true or false.</source>
        <translation>le réglage de dérive « multivariate » doit valoir true ou false.</translation>
    </message>
    <message>
        <source>%1: no verdict, %2</source>
        <translation>%1 : pas de verdict, %2</translation>
    </message>
    <message>
        <source>%1: mean reconstruction error %2, band %3 to %4: %5</source>
        <translation>%1 : erreur de reconstruction moyenne %2, bande de %3 à %4 : %5</translation>
    </message>
    <message>
        <source>The columns of the data differ in length (%1 has %2 rows, not %3).</source>
        <translation>Les colonnes des données n’ont pas la même longueur (%1 a %2 lignes, et non %3).</translation>
    </message>
    <message>
        <source>The share of variance to keep must be above 0 and at most 1.</source>
        <translation>La part de variance à garder doit être supérieure à 0 et au plus 1.</translation>
    </message>
    <message>
        <source>The reference has too few rows for a PCA (%1).</source>
        <translation>La référence a trop peu de lignes pour une ACP (%1).</translation>
    </message>
    <message>
        <source>The reference has %1 numeric features; the multivariate line takes at most %2.</source>
        <translation>La référence a %1 variables numériques ; la ligne multivariée en prend au plus %2.</translation>
    </message>
    <message>
        <source>The reference has no feature with values to fit a PCA on.</source>
        <translation>La référence n’a aucune variable avec des valeurs sur lesquelles ajuster une ACP.</translation>
    </message>
    <message>
        <source>The PCA of the reference did not converge.</source>
        <translation>L’ACP de la référence n’a pas convergé.</translation>
    </message>
    <message>
        <source>The reference&apos;s features do not vary: no PCA to fit.</source>
        <translation>Les variables de la référence ne varient pas : aucune ACP à ajuster.</translation>
    </message>
    <message>
        <source>the kept components explain all the variance: nothing left to reconstruct (lower pca_variance)</source>
        <translation>les composantes gardées expliquent toute la variance : plus rien à reconstruire (baissez pca_variance)</translation>
    </message>
    <message>
        <source>not enough reference: %1 rows for %2 encoded inputs, %3 needed</source>
        <translation>pas assez de référence : %1 lignes pour %2 entrées encodées, %3 nécessaires</translation>
    </message>
    <message>
        <source>too few rows in the current window (%1 of %2)</source>
        <translation>trop peu de lignes dans la fenêtre courante (%1 sur %2)</translation>
    </message>
    <message>
        <source>not enough reference: %1 rows make %2 chunks of %3 rows, %4 needed</source>
        <translation>référence insuffisante : %1 lignes font %2 tranches de %3 lignes, il en faut %4</translation>
    </message>
    <message>
        <source>the reference&apos;s reconstruction error does not vary: no band to compare with</source>
        <translation>l’erreur de reconstruction de la référence ne varie pas : aucune bande à laquelle comparer</translation>
    </message>
    <message>
        <source>multivariate (PCA, 1 component, %1 %)</source>
        <translation>multivariée (ACP, 1 composante, %1 %)</translation>
    </message>
    <message>
        <source>multivariate (PCA, %1 components, %2 %)</source>
        <translation>multivariée (ACP, %1 composantes, %2 %)</translation>
    </message>
    <message>
        <source>from sketches: score in [%1, %2]</source>
        <translation>d’après les esquisses : score dans [%1, %2]</translation>
    </message>
    <message>
        <source>, p-value in [%1, %2]</source>
        <translation>, p-valeur dans [%1, %2]</translation>
    </message>
    <message>
        <source> (CDF error at most %1 %)</source>
        <translation> (erreur sur la fonction de répartition d’au plus %1 %)</translation>
    </message>
    <message>
        <source>undecided (bound straddles the threshold)</source>
        <translation>indécis (l’intervalle chevauche le seuil)</translation>
    </message>
    <message>
        <source>Dataset drift undecided: %1 of %2 features drift, undecided ones may tip it (threshold %3 %).</source>
        <translation>Dérive du jeu de données indécise : %1 variables sur %2 dérivent, les indécises peuvent faire basculer le verdict (seuil %3 %).</translation>
    </message>
</context>
<context>
    <name>mldeck::store</name>
    <message>
        <source>Changing alert settings needs the name of who does it.</source>
        <translation>Modifier les réglages d’alerte demande le nom de qui le fait.</translation>
    </message>
    <message>
        <source>Stored alert rule %1 of %2 is invalid: %3</source>
        <translation>La règle d’alerte enregistrée %1 de %2 n’est pas valide : %3</translation>
    </message>
    <message>
        <source>reading the alert rules of %1</source>
        <translation>lecture des règles d’alerte de %1</translation>
    </message>
    <message>
        <source>There is no deployment &quot;%1&quot;.</source>
        <translation>Il n’y a pas de déploiement « %1 ».</translation>
    </message>
    <message>
        <source>saving alert rule %1</source>
        <translation>enregistrement de la règle d’alerte %1</translation>
    </message>
    <message>
        <source>resetting alert rule %1</source>
        <translation>réinitialisation de la règle d’alerte %1</translation>
    </message>
    <message>
        <source>reading the alert rule state of %1</source>
        <translation>lecture de l’état des règles d’alerte de %1</translation>
    </message>
    <message>
        <source>saving the state of alert rule %1</source>
        <translation>enregistrement de l’état de la règle d’alerte %1</translation>
    </message>
    <message>
        <source>reading the webhook of %1</source>
        <translation>lecture du webhook de %1</translation>
    </message>
    <message>
        <source>Deployment %1 has no webhook to turn off.</source>
        <translation>Le déploiement %1 n’a pas de webhook à désactiver.</translation>
    </message>
    <message>
        <source>saving the webhook of %1</source>
        <translation>enregistrement du webhook de %1</translation>
    </message>
    <message>
        <source>recording a webhook delivery</source>
        <translation>enregistrement d’un envoi de webhook</translation>
    </message>
    <message>
        <source>reading webhook deliveries of %1</source>
        <translation>lecture des envois de webhook de %1</translation>
    </message>
    <message>
        <source>An alert needs a kind, a deduplication key and a title.</source>
        <translation>Une alerte demande un type, une clé de déduplication et un titre.</translation>
    </message>
    <message>
        <source>Unknown alert severity &quot;%1&quot;: use info, warning or critical.</source>
        <translation>Gravité d’alerte « %1 » inconnue : utilisez info, warning ou critical.</translation>
    </message>
    <message>
        <source>raising alert &quot;%1&quot;</source>
        <translation>levée de l’alerte « %1 »</translation>
    </message>
    <message>
        <source>resolving alert %1</source>
        <translation>résolution de l’alerte %1</translation>
    </message>
    <message>
        <source>listing alerts</source>
        <translation>liste des alertes</translation>
    </message>
    <message>
        <source>There is no alert %1.</source>
        <translation>Il n’y a pas d’alerte %1.</translation>
    </message>
    <message>
        <source>reading alert %1</source>
        <translation>lecture de l’alerte %1</translation>
    </message>
    <message>
        <source>reading the alerts of a period</source>
        <translation>lecture des alertes d’une période</translation>
    </message>
    <message>
        <source>counting open %1 alerts</source>
        <translation>décompte des alertes %1 ouvertes</translation>
    </message>
    <message>
        <source>Acknowledging an alert needs the name of who does it.</source>
        <translation>Acquitter une alerte demande le nom de qui le fait.</translation>
    </message>
    <message>
        <source>Alert %1 is already resolved: nothing to acknowledge.</source>
        <translation>L’alerte %1 est déjà résolue : rien à acquitter.</translation>
    </message>
    <message>
        <source>acknowledging alert %1</source>
        <translation>acquittement de l’alerte %1</translation>
    </message>
    <message>
        <source>Silencing an alert needs the name of who does it.</source>
        <translation>Mettre une alerte en silence demande le nom de qui le fait.</translation>
    </message>
    <message>
        <source>A silence must end in the future (asked until %1).</source>
        <translation>Un silence doit se terminer dans le futur (demandé jusqu’à %1).</translation>
    </message>
    <message>
        <source>Alert %1 is already resolved: nothing to silence.</source>
        <translation>L’alerte %1 est déjà résolue : rien à mettre en silence.</translation>
    </message>
    <message>
        <source>silencing alert %1</source>
        <translation>mise en silence de l’alerte %1</translation>
    </message>
    <message>
        <source>The audit row was already committed or abandoned.</source>
        <translation>La ligne d’audit a déjà été validée ou abandonnée.</translation>
    </message>
    <message>
        <source>committing the audit row</source>
        <translation>validation de la ligne d’audit</translation>
    </message>
    <message>
        <source>writing the audit log</source>
        <translation>écriture du journal d’audit</translation>
    </message>
    <message>
        <source>reading the audit log</source>
        <translation>lecture du journal d’audit</translation>
    </message>
    <message>
        <source>a feature has no name</source>
        <translation>une variable n’a pas de nom</translation>
    </message>
    <message>
        <source>feature &quot;%1&quot; appears twice</source>
        <translation>la variable « %1 » apparaît deux fois</translation>
    </message>
    <message>
        <source>invalid deployment name &quot;%1&quot;: use 1 to 64 letters, digits, &apos;_&apos;, &apos;.&apos; or &apos;-&apos;, starting with a letter or digit</source>
        <translation>nom de déploiement « %1 » non valide : utilisez 1 à 64 lettres, chiffres, « _ », « . » ou « - », en commençant par une lettre ou un chiffre</translation>
    </message>
    <message>
        <source>invalid feature schema for deployment &quot;%1&quot;: %2</source>
        <translation>schéma de variables non valide pour le déploiement « %1 » : %2</translation>
    </message>
    <message>
        <source>registering deployment &quot;%1&quot;</source>
        <translation>enregistrement du déploiement « %1 »</translation>
    </message>
    <message>
        <source>listing deployments</source>
        <translation>liste des déploiements</translation>
    </message>
    <message>
        <source>deployment &quot;%1&quot; has no feature schema %2</source>
        <translation>le déploiement « %1 » n’a pas de schéma de variables %2</translation>
    </message>
    <message>
        <source>reading a feature schema of &quot;%1&quot;</source>
        <translation>lecture d’un schéma de variables de « %1 »</translation>
    </message>
    <message>
        <source>A logged prediction has unreadable feature values: %1</source>
        <translation>Une prédiction journalisée a des valeurs de variables illisibles : %1</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a deployment name.</source>
        <translation>« %1 » n’est pas un nom de déploiement.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; does not exist or has no feature schema.</source>
        <translation>Le déploiement « %1 » n’existe pas ou n’a pas de schéma de variables.</translation>
    </message>
    <message>
        <source>reading the feature schema of &quot;%1&quot;</source>
        <translation>lecture du schéma de variables de « %1 »</translation>
    </message>
    <message>
        <source>reading the predictions of &quot;%1&quot;</source>
        <translation>lecture des prédictions de « %1 »</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no drift snapshot named &quot;%2&quot;.</source>
        <translation>Le déploiement « %1 » n’a pas d’instantané de dérive nommé « %2 ».</translation>
    </message>
    <message>
        <source>Snapshot &quot;%1&quot; was taken with feature schema %2, the log now uses %3: take a new one.</source>
        <translation>L’instantané « %1 » a été pris avec le schéma de variables %2, le journal utilise maintenant %3 : prenez-en un nouveau.</translation>
    </message>
    <message>
        <source>reading drift snapshot &quot;%1&quot;</source>
        <translation>lecture de l’instantané de dérive « %1 »</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid snapshot name.</source>
        <translation>« %1 » n’est pas un nom d’instantané valide.</translation>
    </message>
    <message>
        <source>No prediction of &quot;%1&quot; in that period: the snapshot would be empty.</source>
        <translation>Aucune prédiction de « %1 » sur cette période : l’instantané serait vide.</translation>
    </message>
    <message>
        <source>storing drift snapshot &quot;%1&quot;</source>
        <translation>enregistrement de l’instantané de dérive « %1 »</translation>
    </message>
    <message>
        <source>looking for drift snapshot &quot;%1&quot;</source>
        <translation>recherche de l’instantané de dérive « %1 »</translation>
    </message>
    <message>
        <source>The champion model of &quot;%1&quot; has no training window recorded.</source>
        <translation>Le modèle champion de « %1 » n’a pas de fenêtre d’entraînement enregistrée.</translation>
    </message>
    <message>
        <source>reading the champion model of &quot;%1&quot;</source>
        <translation>lecture du modèle champion de « %1 »</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has logged no prediction yet.</source>
        <translation>Le déploiement « %1 » n’a encore journalisé aucune prédiction.</translation>
    </message>
    <message>
        <source>reading the log of &quot;%1&quot;</source>
        <translation>lecture du journal de « %1 »</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; does not exist.</source>
        <translation>Le déploiement « %1 » n’existe pas.</translation>
    </message>
    <message>
        <source>reading the drift settings of &quot;%1&quot;</source>
        <translation>lecture des réglages de dérive de « %1 »</translation>
    </message>
    <message>
        <source>reading the drift state of &quot;%1&quot;</source>
        <translation>lecture de l’état de dérive de « %1 »</translation>
    </message>
    <message>
        <source>saving the drift state of &quot;%1&quot;</source>
        <translation>enregistrement de l’état de dérive de « %1 »</translation>
    </message>
    <message>
        <source>saving drift scores of &quot;%1&quot;</source>
        <translation>enregistrement des scores de dérive de « %1 »</translation>
    </message>
    <message>
        <source>reading drift scores of &quot;%1&quot;</source>
        <translation>lecture des scores de dérive de « %1 »</translation>
    </message>
    <message>
        <source>The database has no deployment yet: nothing has been logged.</source>
        <translation>La base n’a encore aucun déploiement : rien n’a été journalisé.</translation>
    </message>
    <message>
        <source>Several deployments exist (%1): name one with --deployment.</source>
        <translation>Plusieurs déploiements existent (%1) : nommez-en un avec --deployment.</translation>
    </message>
    <message>
        <source>The time window is empty.</source>
        <translation>La période est vide.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; logged no successful prediction in the window.</source>
        <translation>Le déploiement « %1 » n’a journalisé aucune prédiction réussie sur la période.</translation>
    </message>
    <message>
        <source>A logged feature array cannot be read: %1</source>
        <translation>Un tableau de variables journalisé est illisible : %1</translation>
    </message>
    <message>
        <source>reading the evaluation window of &quot;%1&quot;</source>
        <translation>lecture de la période d’évaluation de « %1 »</translation>
    </message>
    <message>
        <source>No prediction of &quot;%1&quot; in the window has an outcome yet: nothing to score.</source>
        <translation>Aucune prédiction de « %1 » sur la période n’a encore de résultat réel : rien à évaluer.</translation>
    </message>
    <message>
        <source>%1, feature schema %2</source>
        <translation>%1, schéma de variables %2</translation>
    </message>
    <message>
        <source>A logged row does not match feature schema %1 (%2 numeric, %3 categorical values).</source>
        <translation>Une ligne journalisée ne correspond pas au schéma de variables %1 (%2 valeurs numériques, %3 catégorielles).</translation>
    </message>
    <message>
        <source>%1 rows logged with an older feature schema were left out.</source>
        <translation>%1 lignes journalisées avec un ancien schéma de variables ont été exclues.</translation>
    </message>
    <message>
        <source>reading the guard rules of &quot;%1&quot;</source>
        <translation>lecture des règles de garde de « %1 »</translation>
    </message>
    <message>
        <source>reading the guard state of &quot;%1&quot;</source>
        <translation>lecture de l’état de la garde de « %1 »</translation>
    </message>
    <message>
        <source>storing the guard state of &quot;%1&quot;</source>
        <translation>enregistrement de l’état de la garde de « %1 »</translation>
    </message>
    <message>
        <source>raising the guard alert &quot;%1&quot;</source>
        <translation>déclenchement de l’alerte de garde « %1 »</translation>
    </message>
    <message>
        <source>reading KPI aggregates: the range ends before it starts</source>
        <translation>lecture des agrégats d’indicateurs : la plage se termine avant de commencer</translation>
    </message>
    <message>
        <source>reading KPI aggregates</source>
        <translation>lecture des agrégats d’indicateurs</translation>
    </message>
    <message>
        <source>applying late outcomes to the KPI aggregates</source>
        <translation>application des résultats réels tardifs aux agrégats d’indicateurs</translation>
    </message>
    <message>
        <source>rebuilding KPI aggregates: no deployment given</source>
        <translation>reconstruction des agrégats d’indicateurs : aucun déploiement indiqué</translation>
    </message>
    <message>
        <source>rebuilding KPI aggregates: the range must end after it starts</source>
        <translation>reconstruction des agrégats d’indicateurs : la plage doit se terminer après son début</translation>
    </message>
    <message>
        <source>rebuilding KPI aggregates</source>
        <translation>reconstruction des agrégats d’indicateurs</translation>
    </message>
    <message>
        <source>the KPI targets stored for &quot;%1&quot; are invalid: %2</source>
        <translation>les objectifs d’indicateurs enregistrés pour « %1 » ne sont pas valides : %2</translation>
    </message>
    <message>
        <source>reading KPI targets</source>
        <translation>lecture des objectifs d’indicateurs</translation>
    </message>
    <message>
        <source>KPI targets not saved: %1</source>
        <translation>objectifs d’indicateurs non enregistrés : %1</translation>
    </message>
    <message>
        <source>KPI targets changed</source>
        <translation>objectifs d’indicateurs modifiés</translation>
    </message>
    <message>
        <source>saving KPI targets (nothing was changed)</source>
        <translation>enregistrement des objectifs d’indicateurs (rien n’a été modifié)</translation>
    </message>
    <message>
        <source>reading audit markers: the range ends before it starts</source>
        <translation>lecture des repères d’audit : la plage se termine avant de commencer</translation>
    </message>
    <message>
        <source>listing deployments with KPI aggregates</source>
        <translation>liste des déploiements ayant des agrégats d’indicateurs</translation>
    </message>
    <message>
        <source>starting the guard&apos;s leader session</source>
        <translation>ouverture de la session de leader de la garde</translation>
    </message>
    <message>
        <source>taking the guard&apos;s leader lock</source>
        <translation>prise du verrou de leader de la garde</translation>
    </message>
    <message>
        <source>database &quot;%1&quot; already has a schema &quot;mldeck&quot; that MLDeck did not create (it has no mldeck.schema_migrations table): refusing to touch it; use another database or move that schema away</source>
        <translation>la base « %1 » a déjà un schéma « mldeck » que MLDeck n’a pas créé (il n’a pas de table mldeck.schema_migrations) : MLDeck refuse d’y toucher ; utilisez une autre base ou déplacez ce schéma</translation>
    </message>
    <message>
        <source>database schema is version %1, this mldeckctl knows up to %2: upgrade MLDeck</source>
        <translation>le schéma de la base est en version %1, ce mldeckctl connaît jusqu’à la version %2 : mettez MLDeck à jour</translation>
    </message>
    <message>
        <source>migration step(s) %1 already applied to database &quot;%2&quot; differ from the ones this mldeckctl ships: refusing to continue</source>
        <translation>les étapes de migration %1 déjà appliquées à la base « %2 » diffèrent de celles fournies par ce mldeckctl : arrêt</translation>
    </message>
    <message>
        <source>reading the schema version</source>
        <translation>lecture de la version du schéma</translation>
    </message>
    <message>
        <source>this binary carries no migration steps (resources missing)</source>
        <translation>ce binaire ne contient aucune étape de migration (ressources manquantes)</translation>
    </message>
    <message>
        <source>applying migration %1 (nothing of this step was kept)</source>
        <translation>application de la migration %1 (rien de cette étape n’a été conservé)</translation>
    </message>
    <message>
        <source>creating the daily prediction partitions</source>
        <translation>création des partitions quotidiennes de prédictions</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no model version &quot;%2&quot;.</source>
        <translation>Le déploiement « %1 » n’a pas de version de modèle « %2 ».</translation>
    </message>
    <message>
        <source>storing the metrics of model %1</source>
        <translation>enregistrement des métriques du modèle %1</translation>
    </message>
    <message>
        <source>looking up the models that use %1</source>
        <translation>recherche des modèles qui utilisent %1</translation>
    </message>
    <message>
        <source>reading the previous champion of &quot;%1&quot;</source>
        <translation>lecture du champion précédent de « %1 »</translation>
    </message>
    <message>
        <source>Invalid version &quot;%1&quot;: use 1 to 64 letters, digits, &apos;.&apos;, &apos;_&apos; or &apos;-&apos;.</source>
        <translation>Version « %1 » non valide : utilisez 1 à 64 lettres, chiffres, « . », « _ » ou « - ».</translation>
    </message>
    <message>
        <source>A model version needs a name.</source>
        <translation>Une version de modèle doit avoir un nom.</translation>
    </message>
    <message>
        <source>This file (SHA-256 %1) is already registered for deployment &quot;%2&quot; as version %3.</source>
        <translation>Ce fichier (SHA-256 %1) est déjà enregistré pour le déploiement « %2 » en tant que version %3.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already has a version &quot;%2&quot;; choose another --version.</source>
        <translation>Le déploiement « %1 » a déjà une version « %2 » ; choisissez une autre --version.</translation>
    </message>
    <message>
        <source>Parent version &quot;%1&quot; does not exist in deployment &quot;%2&quot;.</source>
        <translation>La version parente « %1 » n’existe pas dans le déploiement « %2 ».</translation>
    </message>
    <message>
        <source>registering a model for deployment &quot;%1&quot;</source>
        <translation>enregistrement d’un modèle pour le déploiement « %1 »</translation>
    </message>
    <message>
        <source>listing the models of deployment &quot;%1&quot;</source>
        <translation>liste des modèles du déploiement « %1 »</translation>
    </message>
    <message>
        <source>reading model %1@%2</source>
        <translation>lecture du modèle %1@%2</translation>
    </message>
    <message>
        <source>looking up a model of deployment &quot;%1&quot;</source>
        <translation>recherche d’un modèle du déploiement « %1 »</translation>
    </message>
    <message>
        <source>Unknown alias &quot;%1&quot;: use champion or challenger.</source>
        <translation>Alias « %1 » inconnu : utilisez champion ou challenger.</translation>
    </message>
    <message>
        <source>reading the %1 of deployment &quot;%2&quot;</source>
        <translation>lecture du %1 du déploiement « %2 »</translation>
    </message>
    <message>
        <source>%1@%2 is archived; an archived version cannot become %3.</source>
        <translation>%1@%2 est archivé ; une version archivée ne peut pas devenir %3.</translation>
    </message>
    <message>
        <source>%1@%2 is already the %3; nothing changed.</source>
        <translation>%1@%2 est déjà %3 ; rien n’a changé.</translation>
    </message>
    <message>
        <source>%1@%2 is the champion; it cannot also be the challenger.</source>
        <translation>%1@%2 est le champion ; il ne peut pas être aussi le challenger.</translation>
    </message>
    <message>
        <source>making %1@%2 the %3</source>
        <translation>passage de %1@%2 en %3</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no previous champion to restore.</source>
        <translation>Le déploiement « %1 » n’a pas de champion précédent à restaurer.</translation>
    </message>
    <message>
        <source>The previous champion of &quot;%1&quot; no longer exists in the registry.</source>
        <translation>Le champion précédent de « %1 » n’existe plus dans le registre.</translation>
    </message>
    <message>
        <source>The previous champion %1@%2 is archived; promote another version instead.</source>
        <translation>Le champion précédent %1@%2 est archivé ; promouvez plutôt une autre version.</translation>
    </message>
    <message>
        <source>%1@%2 is already the champion; nothing changed.</source>
        <translation>%1@%2 est déjà le champion ; rien n’a changé.</translation>
    </message>
    <message>
        <source>restoring the previous champion of &quot;%1&quot;</source>
        <translation>restauration du champion précédent de « %1 »</translation>
    </message>
    <message>
        <source>%1@%2 is already archived; nothing changed.</source>
        <translation>%1@%2 est déjà archivé ; rien n’a changé.</translation>
    </message>
    <message>
        <source>%1@%2 is the champion and cannot be archived; promote another version first.</source>
        <translation>%1@%2 est le champion et ne peut pas être archivé ; promouvez d’abord une autre version.</translation>
    </message>
    <message>
        <source>archiving %1@%2</source>
        <translation>archivage de %1@%2</translation>
    </message>
    <message>
        <source>lost the connection to PostgreSQL at %1 while %2: %3</source>
        <translation>connexion à PostgreSQL sur %1 perdue pendant : %2 : %3</translation>
    </message>
    <message>
        <source>PostgreSQL at %1 went away while committing (%2): the outcome is unknown: %3</source>
        <translation>PostgreSQL sur %1 a disparu pendant la validation (%2) : le résultat est inconnu : %3</translation>
    </message>
    <message>
        <source>PostgreSQL error while %1: %2</source>
        <translation>erreur PostgreSQL pendant : %1 : %2</translation>
    </message>
    <message>
        <source>cannot connect to PostgreSQL at %1: %2</source>
        <translation>impossible de se connecter à PostgreSQL sur %1 : %2</translation>
    </message>
    <message>
        <source>checking the connection</source>
        <translation>vérification de la connexion</translation>
    </message>
    <message>
        <source>not an array literal: %1</source>
        <translation>pas un littéral de tableau : %1</translation>
    </message>
    <message>
        <source>unterminated quoted element in array literal: %1</source>
        <translation>élément entre guillemets non terminé dans le littéral de tableau : %1</translation>
    </message>
    <message>
        <source>empty element in array literal: %1</source>
        <translation>élément vide dans le littéral de tableau : %1</translation>
    </message>
    <message>
        <source>malformed array literal: %1</source>
        <translation>littéral de tableau mal formé : %1</translation>
    </message>
    <message>
        <source>trailing comma in array literal: %1</source>
        <translation>virgule finale dans le littéral de tableau : %1</translation>
    </message>
    <message>
        <source>NULL element in a numeric feature array</source>
        <translation>élément NULL dans un tableau de variables numériques</translation>
    </message>
    <message>
        <source>not a number in a numeric feature array: %1</source>
        <translation>pas un nombre dans un tableau de variables numériques : %1</translation>
    </message>
    <message>
        <source>a row has no deployment</source>
        <translation>une ligne n’a pas de déploiement</translation>
    </message>
    <message>
        <source>a row of deployment &quot;%1&quot; has no request key</source>
        <translation>une ligne du déploiement « %1 » n’a pas de clé de requête</translation>
    </message>
    <message>
        <source>%1: nothing was logged (%2)</source>
        <translation>%1 : rien n’a été journalisé (%2)</translation>
    </message>
    <message>
        <source> (nothing of this batch was logged)</source>
        <translation> (rien de ce lot n’a été journalisé)</translation>
    </message>
    <message numerus="yes">
        <source>logging %n prediction(s)</source>
        <translation>
            <numerusform>journalisation de %n prédiction</numerusform>
            <numerusform>journalisation de %n prédictions</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>logging %n outcome(s)</source>
        <translation>
            <numerusform>journalisation de %n résultat réel</numerusform>
            <numerusform>journalisation de %n résultats réels</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>logging %n feedback row(s)</source>
        <translation>
            <numerusform>journalisation de %n ligne de retour</numerusform>
            <numerusform>journalisation de %n lignes de retour</numerusform>
        </translation>
    </message>
    <message>
        <source>logging one prediction</source>
        <translation>journalisation d’une prédiction</translation>
    </message>
    <message>
        <source>invalid partition range %1 .. %2</source>
        <translation>plage de partitions non valide %1 .. %2</translation>
    </message>
    <message>
        <source>creating daily prediction partitions</source>
        <translation>création des partitions quotidiennes de prédictions</translation>
    </message>
    <message>
        <source>A retrain run of &quot;%1&quot; is already queued or running; wait for it to finish or cancel it.</source>
        <translation>Un réentraînement de « %1 » est déjà en file d’attente ou en cours ; attendez qu’il se termine ou annulez-le.</translation>
    </message>
    <message>
        <source>recording a retrain run of &quot;%1&quot;</source>
        <translation>enregistrement d’un réentraînement de « %1 »</translation>
    </message>
    <message>
        <source>Retrain run %1 is no longer queued.</source>
        <translation>Le réentraînement %1 n’est plus en file d’attente.</translation>
    </message>
    <message>
        <source>starting retrain run %1</source>
        <translation>démarrage du réentraînement %1</translation>
    </message>
    <message>
        <source>Retrain run %1 has already finished.</source>
        <translation>Le réentraînement %1 est déjà terminé.</translation>
    </message>
    <message>
        <source>recording the end of retrain run %1</source>
        <translation>enregistrement de la fin du réentraînement %1</translation>
    </message>
    <message>
        <source>Retrain run %1 does not exist.</source>
        <translation>Le réentraînement %1 n’existe pas.</translation>
    </message>
    <message>
        <source>recording the decision of retrain run %1</source>
        <translation>enregistrement de la décision du réentraînement %1</translation>
    </message>
    <message>
        <source>Retrain run %1 is not running.</source>
        <translation>Le réentraînement %1 n’est pas en cours.</translation>
    </message>
    <message>
        <source>cancelling retrain run %1</source>
        <translation>annulation du réentraînement %1</translation>
    </message>
    <message>
        <source>reading retrain run %1</source>
        <translation>lecture du réentraînement %1</translation>
    </message>
    <message>
        <source>listing retrain runs</source>
        <translation>liste des réentraînements</translation>
    </message>
    <message>
        <source>reading the retrain settings of &quot;%1&quot;</source>
        <translation>lecture des réglages de réentraînement de « %1 »</translation>
    </message>
    <message>
        <source>storing the retrain settings of &quot;%1&quot;</source>
        <translation>enregistrement des réglages de réentraînement de « %1 »</translation>
    </message>
    <message>
        <source>counting the feedback of &quot;%1&quot;</source>
        <translation>décompte des retours de « %1 »</translation>
    </message>
    <message>
        <source>reading the negative feedback of &quot;%1&quot;</source>
        <translation>lecture des retours négatifs de « %1 »</translation>
    </message>
    <message numerus="yes">
        <source>Feedback retention: older than %n days</source>
        <translation>
            <numerusform>Conservation des retours : plus de %n jour</numerusform>
            <numerusform>Conservation des retours : plus de %n jours</numerusform>
        </translation>
    </message>
    <message>
        <source>purging the feedback of &quot;%1&quot;</source>
        <translation>purge des retours de « %1 »</translation>
    </message>
    <message>
        <source>reading the rollout plan of &quot;%1&quot;</source>
        <translation>lecture du plan de déploiement de « %1 »</translation>
    </message>
    <message>
        <source>The current step %1 is not a step of this plan.</source>
        <translation>L’étape courante %1 n’est pas une étape de ce plan.</translation>
    </message>
    <message>
        <source>storing the rollout plan of &quot;%1&quot;</source>
        <translation>enregistrement du plan de déploiement de « %1 »</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no stored plan.</source>
        <translation>Le déploiement « %1 » n’a pas de plan enregistré.</translation>
    </message>
    <message>
        <source>moving the rollout plan of &quot;%1&quot;</source>
        <translation>changement d’étape du plan de déploiement de « %1 »</translation>
    </message>
    <message>
        <source>computing the ML figures of &quot;%1&quot;</source>
        <translation>calcul des chiffres ML de « %1 »</translation>
    </message>
    <message>
        <source>reading the what-if data of &quot;%1&quot;</source>
        <translation>lecture des données de simulation de « %1 »</translation>
    </message>
    <message>
        <source>computing the MAE of &quot;%1&quot;</source>
        <translation>calcul de la MAE de « %1 »</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then up to 62 of a-z, 0-9, _ and -).</source>
        <translation>« %1 » n’est pas un nom de déploiement valide (une minuscule d’abord, puis jusqu’à 62 caractères parmi a-z, 0-9, _ et -).</translation>
    </message>
    <message>
        <source>The ML traffic percentage must be a whole number from 0 to 100, not %1.</source>
        <translation>Le pourcentage de trafic ML doit être un entier de 0 à 100, pas %1.</translation>
    </message>
    <message>
        <source>A flag change needs an actor (who makes it) for updated_by.</source>
        <translation>Un changement de drapeau demande un auteur (qui le fait) pour updated_by.</translation>
    </message>
    <message>
        <source>Unexpected answer from Redis to %1.</source>
        <translation>Réponse inattendue de Redis à %1.</translation>
    </message>
    <message>
        <source>Nothing to change: give at least one of ML enabled, traffic percentage or fallback.</source>
        <translation>Rien à changer : donnez au moins l’un de ML activé, pourcentage de trafic ou repli.</translation>
    </message>
    <message>
        <source>The expected version must not be negative (got %1).</source>
        <translation>La version attendue ne doit pas être négative (reçu %1).</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no flags in Redis yet; create them first (mldeckctl flags init).</source>
        <translation>Le déploiement « %1 » n’a pas encore de drapeaux dans Redis ; créez-les d’abord (mldeckctl flags init).</translation>
    </message>
    <message>
        <source>The Redis key %1 is not a hash but a %2; refusing to overwrite it.</source>
        <translation>La clé Redis %1 n’est pas un hash mais un %2 ; refus de l’écraser.</translation>
    </message>
    <message>
        <source>Conflict: the flags of &quot;%1&quot; were changed by %2 at %3 (now version %4: ml_enabled=%5, ml_traffic_percentage=%6, fallback_on_error=%7) while you expected version %8. Nothing was written; re-read and try again.</source>
        <translation>Conflit : les drapeaux de « %1 » ont été modifiés par %2 à %3 (maintenant en version %4 : ml_enabled=%5, ml_traffic_percentage=%6, fallback_on_error=%7) alors que vous attendiez la version %8. Rien n’a été écrit ; relisez et réessayez.</translation>
    </message>
    <message>
        <source>Redis at %1 did not answer %2 within %3 ms (server down, frozen or overloaded).</source>
        <translation>Redis sur %1 n’a pas répondu à %2 en %3 ms (serveur arrêté, figé ou surchargé).</translation>
    </message>
    <message>
        <source>Redis at %1 closed the connection during %2.</source>
        <translation>Redis sur %1 a fermé la connexion pendant %2.</translation>
    </message>
    <message>
        <source>out of memory</source>
        <translation>mémoire insuffisante</translation>
    </message>
    <message>
        <source>Lost the connection to Redis at %1 during %2: %3.</source>
        <translation>Connexion à Redis sur %1 perdue pendant %2 : %3.</translation>
    </message>
    <message>
        <source>The connection to Redis at %1 is broken (%2); reconnect.</source>
        <translation>La connexion à Redis sur %1 est rompue (%2) ; reconnectez-vous.</translation>
    </message>
    <message>
        <source>Empty Redis command.</source>
        <translation>Commande Redis vide.</translation>
    </message>
    <message>
        <source>Redis at %1 refused %2: %3</source>
        <translation>Redis sur %1 a refusé %2 : %3</translation>
    </message>
    <message>
        <source>The Redis timeout must be positive (got %1 ms).</source>
        <translation>Le délai d’attente Redis doit être positif (reçu %1 ms).</translation>
    </message>
    <message>
        <source>Cannot connect to Redis at %1: out of memory.</source>
        <translation>Impossible de se connecter à Redis sur %1 : mémoire insuffisante.</translation>
    </message>
    <message>
        <source>Cannot connect to Redis at %1: no answer within %2 ms.</source>
        <translation>Impossible de se connecter à Redis sur %1 : aucune réponse en %2 ms.</translation>
    </message>
    <message>
        <source>Cannot connect to Redis at %1: %2.</source>
        <translation>Impossible de se connecter à Redis sur %1 : %2.</translation>
    </message>
    <message>
        <source>Cannot set the timeout on the connection to Redis at %1.</source>
        <translation>Impossible de régler le délai d’attente de la connexion à Redis sur %1.</translation>
    </message>
    <message>
        <source>Redis at %1 rejected the login%2: %3</source>
        <translation>Redis sur %1 a refusé l’authentification%2 : %3</translation>
    </message>
    <message>
        <source> of user &quot;%1&quot;</source>
        <translation> de l’utilisateur « %1 »</translation>
    </message>
    <message>
        <source>Redis at %1 cannot select database %2: %3</source>
        <translation>Redis sur %1 ne peut pas sélectionner la base %2 : %3</translation>
    </message>
    <message>
        <source>Redis at %1 requires a password (give one in the connection settings or the URL).</source>
        <translation>Redis sur %1 demande un mot de passe (indiquez-le dans les réglages de connexion ou dans l’URL).</translation>
    </message>
    <message>
        <source>Redis at %1 gave an unexpected answer to PING.</source>
        <translation>Redis sur %1 a répondu de façon inattendue à PING.</translation>
    </message>
    <message>
        <source>Redis at %1 refused SUBSCRIBE: %2</source>
        <translation>Redis sur %1 a refusé SUBSCRIBE : %2</translation>
    </message>
    <message>
        <source>Redis at %1 gave an unexpected answer to SUBSCRIBE.</source>
        <translation>Redis sur %1 a répondu de façon inattendue à SUBSCRIBE.</translation>
    </message>
    <message>
        <source>Redis at %1 sent an error: %2</source>
        <translation>Redis sur %1 a renvoyé une erreur : %2</translation>
    </message>
    <message>
        <source>Waiting for Redis at %1 failed: %2</source>
        <translation>L’attente de Redis sur %1 a échoué : %2</translation>
    </message>
    <message>
        <source>Rule %1 is not built in, so it has no default to go back to: delete it instead.</source>
        <translation>La règle %1 n’est pas prédéfinie : elle n’a pas de valeur par défaut à laquelle revenir ; supprimez-la plutôt.</translation>
    </message>
    <message>
        <source>Rule %1 is built in and cannot be deleted: reset it to its default or turn it off.</source>
        <translation>La règle %1 est prédéfinie et ne peut pas être supprimée : remettez-la à sa valeur par défaut ou désactivez-la.</translation>
    </message>
    <message>
        <source>deleting alert rule %1</source>
        <translation>suppression de la règle d’alerte %1</translation>
    </message>
    <message>
        <source>%1 is longer than %2 characters</source>
        <translation>%1 dépasse %2 caractères</translation>
    </message>
    <message>
        <source>%1 must fit on one line</source>
        <translation>%1 doit tenir sur une ligne</translation>
    </message>
    <message>
        <source>the description</source>
        <translation>la description</translation>
    </message>
    <message>
        <source>the target name</source>
        <translation>le nom de la cible</translation>
    </message>
    <message>
        <source>the target unit</source>
        <translation>l’unité de la cible</translation>
    </message>
    <message>
        <source>The PostgreSQL role %1 may not change deployments (%2): that takes the mldeck_scientist role.</source>
        <translation>Le rôle PostgreSQL %1 ne peut pas modifier les déploiements (%2) : il faut le rôle mldeck_scientist.</translation>
    </message>
    <message>
        <source>Unknown deployment &quot;%1&quot;: create it first (mldeckctl deployments create, or New deployment on the Deployments page).</source>
        <translation>Déploiement « %1 » inconnu : créez-le d’abord (mldeckctl deployments create, ou Nouveau déploiement sur la page Déploiements).</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is archived.</source>
        <translation>Le déploiement « %1 » est archivé.</translation>
    </message>
    <message>
        <source>looking up deployment &quot;%1&quot;</source>
        <translation>recherche du déploiement « %1 »</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ or -; at most 63 characters).</source>
        <translation>« %1 » n’est pas un nom de déploiement valide (une lettre minuscule d’abord, puis a-z, 0-9, _ ou - ; 63 caractères au plus).</translation>
    </message>
    <message>
        <source>Unknown task &quot;%1&quot;: use regression or classification.</source>
        <translation>Tâche « %1 » inconnue : utilisez regression ou classification.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: %2.</source>
        <translation>Déploiement « %1 » non créé : %2.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: invalid feature schema: %2.</source>
        <translation>Déploiement « %1 » non créé : schéma de variables invalide : %2.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: the drift reference needs %2 to %3 rows, not %4.</source>
        <translation>Déploiement « %1 » non créé : la référence de dérive demande de %2 à %3 lignes, pas %4.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: drift reference: %2</source>
        <translation>Déploiement « %1 » non créé : référence de dérive : %2</translation>
    </message>
    <message>
        <source>creating deployment &quot;%1&quot;</source>
        <translation>création du déploiement « %1 »</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already exists (archived); nothing was changed.</source>
        <translation>Le déploiement « %1 » existe déjà (archivé) ; rien n’a été modifié.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; already exists; nothing was changed.</source>
        <translation>Le déploiement « %1 » existe déjà ; rien n’a été modifié.</translation>
    </message>
    <message>
        <source>reading deployment &quot;%1&quot;</source>
        <translation>lecture du déploiement « %1 »</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: %2.</source>
        <translation>Déploiement « %1 » non modifié : %2.</translation>
    </message>
    <message>
        <source>changing deployment &quot;%1&quot;</source>
        <translation>modification du déploiement « %1 »</translation>
    </message>
    <message>
        <source>Archiving deployment &quot;%1&quot; needs a reason (it goes to the audit log).</source>
        <translation>Archiver le déploiement « %1 » demande une raison (elle va dans le journal d’audit).</translation>
    </message>
    <message>
        <source>archiving deployment &quot;%1&quot;</source>
        <translation>archivage du déploiement « %1 »</translation>
    </message>
    <message>
        <source>counting the predictions of &quot;%1&quot;</source>
        <translation>comptage des prédictions de « %1 »</translation>
    </message>
    <message>
        <source>reading the first predictions of &quot;%1&quot;</source>
        <translation>lecture des premières prédictions de « %1 »</translation>
    </message>
    <message>
        <source>listing the drift snapshots of &quot;%1&quot;</source>
        <translation>liste des instantanés de dérive de « %1 »</translation>
    </message>
    <message>
        <source>Drift settings of &quot;%1&quot; not saved: %2</source>
        <translation>Réglages de dérive de « %1 » non enregistrés : %2</translation>
    </message>
    <message>
        <source>saving the drift settings of &quot;%1&quot; (nothing was changed)</source>
        <translation>enregistrement des réglages de dérive de « %1 » (rien n’a été modifié)</translation>
    </message>
    <message>
        <source>Snapshot &quot;%1&quot; would be empty: nothing was changed.</source>
        <translation>L’instantané « %1 » serait vide : rien n’a été modifié.</translation>
    </message>
    <message>
        <source>storing drift snapshot &quot;%1&quot; (nothing was changed)</source>
        <translation>enregistrement de l’instantané de dérive « %1 » (rien n’a été modifié)</translation>
    </message>
    <message>
        <source>storing the guard rules of &quot;%1&quot; (nothing was changed)</source>
        <translation>enregistrement des règles de la garde de « %1 » (rien n’a été modifié)</translation>
    </message>
    <message>
        <source>looking for the demo history of &quot;%1&quot;</source>
        <translation>recherche de l’historique de démonstration de « %1 »</translation>
    </message>
    <message>
        <source>Loading a back-dated history needs a PostgreSQL superuser (it turns the audit and aggregate triggers off while it writes); &quot;%1&quot; is not one.</source>
        <translation>Charger un historique antidaté demande un superutilisateur PostgreSQL (il désactive les déclencheurs d’audit et d’agrégats pendant l’écriture) ; « %1 » n’en est pas un.</translation>
    </message>
    <message>
        <source>preparing the history load</source>
        <translation>préparation du chargement de l’historique</translation>
    </message>
    <message>
        <source>ending the history load</source>
        <translation>fin du chargement de l’historique</translation>
    </message>
    <message>
        <source>writing the audit row &quot;%1&quot;</source>
        <translation>écriture de la ligne d’audit « %1 »</translation>
    </message>
    <message>
        <source>writing the alert &quot;%1&quot;</source>
        <translation>écriture de l’alerte « %1 »</translation>
    </message>
    <message>
        <source>writing the staged plan of &quot;%1&quot;</source>
        <translation>écriture du plan par étapes de « %1 »</translation>
    </message>
    <message>
        <source>registering %1@%2 in the history</source>
        <translation>enregistrement de %1@%2 dans l’historique</translation>
    </message>
    <message>
        <source>moving the %1 of &quot;%2&quot;</source>
        <translation>déplacement de %1 de « %2 »</translation>
    </message>
    <message>
        <source>writing the retrain run of &quot;%1&quot;</source>
        <translation>écriture du réentraînement de « %1 »</translation>
    </message>
    <message>
        <source>building the KPI aggregates of &quot;%1&quot;</source>
        <translation>construction des agrégats KPI de « %1 »</translation>
    </message>
    <message>
        <source>reading what your role may change</source>
        <translation>lecture de ce que votre rôle peut modifier</translation>
    </message>
    <message>
        <source>reading the task of %1</source>
        <translation>lecture de la tâche de %1</translation>
    </message>
    <message>
        <source>reading the labelled predictions of &quot;%1&quot;</source>
        <translation>lecture des prédictions étiquetées de « %1 »</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is not a classifier with known classes.</source>
        <translation>Le déploiement « %1 » n’est pas un classifieur aux classes connues.</translation>
    </message>
    <message>
        <source>reading labelled predictions: the range must end after it starts</source>
        <translation>lecture des prédictions étiquetées : la plage doit finir après son début</translation>
    </message>
    <message>
        <source>period (%1 to %2)</source>
        <translation>période (du %1 au %2)</translation>
    </message>
    <message>
        <source>the first %1 logged predictions</source>
        <translation>les %1 premières prédictions journalisées</translation>
    </message>
    <message>
        <source>The reference period of &quot;%1&quot; is empty.</source>
        <translation>La période de référence de « %1 » est vide.</translation>
    </message>
    <message>
        <source>reading snapshot %1 of &quot;%2&quot;</source>
        <translation>lecture de l’instantané %1 de « %2 »</translation>
    </message>
    <message>
        <source>Unknown reference.</source>
        <translation>Référence inconnue.</translation>
    </message>
    <message>
        <source>the decision threshold must lie strictly between 0 and 1 (%1 given)</source>
        <translation>le seuil de décision doit être strictement compris entre 0 et 1 (%1 donné)</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: %2</source>
        <translation>Déploiement « %1 » non créé : %2</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: classes are for a classification deployment, not a %2 one.</source>
        <translation>Déploiement « %1 » non créé : les classes sont réservées à un déploiement de classification, pas à un déploiement de type %2.</translation>
    </message>
    <message>
        <source>Nothing to change: give a description, a target name, a target unit or a decision threshold.</source>
        <translation>Rien à changer : donnez une description, un nom de cible, une unité de cible ou un seuil de décision.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: a decision threshold is for a binary classification deployment.</source>
        <translation>Déploiement « %1 » non modifié : un seuil de décision est réservé à un déploiement de classification binaire.</translation>
    </message>
    <message>
        <source>a row of deployment &quot;%1&quot; has a negative predicted class</source>
        <translation>une ligne du déploiement « %1 » a une classe prédite négative</translation>
    </message>
    <message>
        <source>a row of deployment &quot;%1&quot; has %2 probabilities (at most %3 are logged)</source>
        <translation>une ligne du déploiement « %1 » a %2 probabilités (au plus %3 sont journalisées)</translation>
    </message>
    <message>
        <source>checking the audit log&apos;s hash chain</source>
        <translation>vérification de la chaîne de hachage du journal d’audit</translation>
    </message>
    <message>
        <source>Cannot read the audit log: %1</source>
        <translation>Impossible de lire le journal d’audit : %1</translation>
    </message>
    <message>
        <source>counting audit rows</source>
        <translation>comptage des lignes d’audit</translation>
    </message>
    <message>
        <source>a page starts at 0 or later and holds 1 to %1 rows.</source>
        <translation>une page commence à 0 ou au-delà et contient de 1 à %1 lignes.</translation>
    </message>
    <message>
        <source>a timeline is of one deployment.</source>
        <translation>une chronologie porte sur un seul déploiement.</translation>
    </message>
    <message>
        <source>a timeline needs both ends of its range.</source>
        <translation>une chronologie demande les deux bornes de sa plage.</translation>
    </message>
    <message>
        <source>reading what served %1</source>
        <translation>lecture de ce qui a servi %1</translation>
    </message>
    <message>
        <source>reading audit markers: %1</source>
        <translation>lecture des repères d’audit : %1</translation>
    </message>
    <message>
        <source>not encrypted</source>
        <translation>non chiffré</translation>
    </message>
    <message>
        <source>TLS verified (%1)</source>
        <translation>TLS vérifié (%1)</translation>
    </message>
    <message>
        <source>TLS, CA verified, host name not checked (%1)</source>
        <translation>TLS, CA vérifiée, nom d’hôte non contrôlé (%1)</translation>
    </message>
    <message>
        <source>TLS, certificate not verified (%1)</source>
        <translation>TLS, certificat non vérifié (%1)</translation>
    </message>
    <message>
        <source>the server&apos;s certificate is for %1, not %2: connect with the name on the certificate</source>
        <translation>le certificat du serveur est établi pour %1, pas pour %2 : connectez-vous avec le nom figurant sur le certificat</translation>
    </message>
    <message numerus="yes">
        <source>the server&apos;s certificate is for %1 and %n other name(s), not %2: connect with a name on the certificate</source>
        <translation>
            <numerusform>le certificat du serveur est établi pour %1 et %n autre nom, pas pour %2 : connectez-vous avec un nom figurant sur le certificat</numerusform>
            <numerusform>le certificat du serveur est établi pour %1 et %n autres noms, pas pour %2 : connectez-vous avec un nom figurant sur le certificat</numerusform>
        </translation>
    </message>
    <message>
        <source>the server&apos;s certificate is not signed by the CA in %1</source>
        <translation>le certificat du serveur n’est pas signé par la CA de %1</translation>
    </message>
    <message>
        <source>sslmode %1 checks the server&apos;s certificate against a CA file, and %2 does not exist: choose the CA file in the connection profile or add sslrootcert=FILE to the URL</source>
        <translation>le sslmode %1 vérifie le certificat du serveur avec un fichier CA, et %2 n’existe pas : choisissez le fichier CA dans le profil de connexion ou ajoutez sslrootcert=FICHIER à l’URL</translation>
    </message>
    <message>
        <source>the CA file %1 could not be read: %2</source>
        <translation>le fichier CA %1 n’a pas pu être lu : %2</translation>
    </message>
    <message>
        <source>the server does not accept TLS connections, and sslmode %1 requires TLS</source>
        <translation>le serveur n’accepte pas les connexions TLS, et le sslmode %1 exige TLS</translation>
    </message>
    <message>
        <source>Redis user &quot;%1&quot; may not change flags (a read-only ACL user): %2</source>
        <translation>L’utilisateur Redis « %1 » ne peut pas modifier les drapeaux (utilisateur ACL en lecture seule) : %2</translation>
    </message>
    <message>
        <source>another audited change of this deployment has held its audit log for over 5 s: nothing was written; try again</source>
        <translation>une autre modification auditée de ce déploiement retient son journal d’audit depuis plus de 5 s : rien n’a été écrit ; réessayez</translation>
    </message>
    <message>
        <source>reading the golden dataset of &quot;%1&quot;</source>
        <translation>lecture du jeu de données de référence de « %1 »</translation>
    </message>
    <message>
        <source>storing the golden dataset of &quot;%1&quot;</source>
        <translation>enregistrement du jeu de données de référence de « %1 »</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; has no golden dataset; nothing changed.</source>
        <translation>Le déploiement « %1 » n’a pas de jeu de données de référence ; rien n’a changé.</translation>
    </message>
    <message>
        <source>removing the golden dataset of &quot;%1&quot;</source>
        <translation>en supprimant le jeu de données de référence de « %1 »</translation>
    </message>
    <message>
        <source>reading the model checks of &quot;%1&quot;</source>
        <translation>lecture des contrôles du modèle de « %1 »</translation>
    </message>
    <message>
        <source>storing the model checks of &quot;%1&quot;</source>
        <translation>enregistrement des contrôles du modèle de « %1 »</translation>
    </message>
    <message>
        <source>storing the model checks&apos; results of &quot;%1&quot;</source>
        <translation>enregistrement des résultats des contrôles du modèle de « %1 »</translation>
    </message>
    <message>
        <source>reading the model checks&apos; results of &quot;%1&quot;</source>
        <translation>lecture des résultats des contrôles du modèle de « %1 »</translation>
    </message>
    <message>
        <source>reading the privileges of the session</source>
        <translation>en lisant les privilèges de la session</translation>
    </message>
    <message>
        <source>storing the model checks of retrain run %1</source>
        <translation>enregistrement des contrôles du modèle de l’entraînement %1</translation>
    </message>
    <message>
        <source>The champion of &quot;%1&quot; changed while the model checks ran (now %2); promote again.</source>
        <translation>Le champion de « %1 » a changé pendant les contrôles du modèle (c’est maintenant %2) ; relancez la promotion.</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucun</translation>
    </message>
    <message>
        <source>storing the nanny model of &quot;%1&quot;</source>
        <translation>enregistrement du modèle nanny de « %1 »</translation>
    </message>
    <message>
        <source>reading the nanny model of &quot;%1&quot;</source>
        <translation>lecture du modèle nanny de « %1 »</translation>
    </message>
    <message>
        <source>reading the nanny watermark of &quot;%1&quot;</source>
        <translation>lecture de la position d’évaluation du modèle nanny de « %1 »</translation>
    </message>
    <message>
        <source>reading predictions of &quot;%1&quot; to estimate</source>
        <translation>lecture des prédictions de « %1 » à estimer</translation>
    </message>
    <message>
        <source>One estimate per prediction is needed (%1 predictions, %2 estimates).</source>
        <translation>Il faut une estimation par prédiction (%1 prédictions, %2 estimations).</translation>
    </message>
    <message>
        <source>adding error estimates of &quot;%1&quot;</source>
        <translation>ajout des estimations d’erreur de « %1 »</translation>
    </message>
    <message>
        <source>reading the reference of &quot;%1&quot;</source>
        <translation>lecture de la référence de « %1 »</translation>
    </message>
    <message>
        <source>locking the nanny of &quot;%1&quot;</source>
        <translation>verrouillage du modèle nanny de « %1 »</translation>
    </message>
    <message>
        <source>reading the server&apos;s clock</source>
        <translation>lecture de l’horloge du serveur</translation>
    </message>
    <message>
        <source>reading the nanny&apos;s hours of &quot;%1&quot;</source>
        <translation>lecture des heures du modèle nanny de « %1 »</translation>
    </message>
    <message>
        <source>The rollout plan of &quot;%1&quot;: %2</source>
        <translation>Le plan de déploiement de « %1 » : %2</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: an image deployment is a classification deployment, not a %2 one.</source>
        <translation>Déploiement « %1 » non créé : un déploiement d’images est un déploiement de classification, pas de %2.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not created: an image deployment takes images, not a feature schema.</source>
        <translation>Déploiement « %1 » non créé : un déploiement d’images prend des images, pas un schéma de variables.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: only a classification deployment with its classes can take images.</source>
        <translation>Déploiement « %1 » non modifié : seul un déploiement de classification avec ses classes peut prendre des images.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: it takes tabular features (feature schema %2); an image deployment is created as one.</source>
        <translation>Déploiement « %1 » non modifié : il prend des variables tabulaires (schéma %2) ; un déploiement d’images se crée comme tel.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: %2</source>
        <translation>Déploiement « %1 » non modifié : %2</translation>
    </message>
    <message>
        <source>The image configuration of deployment &quot;%1&quot; cannot be read: %2</source>
        <translation>La configuration des images du déploiement « %1 » est illisible : %2</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; is not an image deployment (it takes tabular features).</source>
        <translation>Le déploiement « %1 » n’est pas un déploiement d’images (il prend des variables tabulaires).</translation>
    </message>
    <message>
        <source>reading the image keys of &quot;%1&quot;</source>
        <translation>lecture des clés d’image de « %1 »</translation>
    </message>
    <message>
        <source>reading the labelled images of &quot;%1&quot;</source>
        <translation>lecture des images étiquetées de « %1 »</translation>
    </message>
    <message>
        <source>No image prediction of &quot;%1&quot; in the window has a class as its outcome yet: nothing to score.</source>
        <translation>Aucune prédiction d’image de « %1 » dans la fenêtre n’a encore de classe pour résultat : rien à évaluer.</translation>
    </message>
    <message numerus="yes">
        <source>%n request(s) whose outcome is not a class index were left out.</source>
        <translation>
            <numerusform>%n requête(s) dont le résultat n’est pas un indice de classe ont été écartée(s).</numerusform>
            <numerusform>%n requête(s) dont le résultat n’est pas un indice de classe ont été écartée(s).</numerusform>
        </translation>
    </message>
    <message>
        <source>a row of deployment &quot;%1&quot; has a bad image key: %2</source>
        <translation>une ligne du déploiement « %1 » a une clé d’image invalide : %2</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: it has a registered model (%2); an image deployment is created as one.</source>
        <translation>Déploiement « %1 » non modifié : il a un modèle enregistré (%2) ; un déploiement d’images se crée comme tel.</translation>
    </message>
    <message>
        <source>Deployment &quot;%1&quot; not changed: it has logged predictions; an image deployment is created as one.</source>
        <translation>Déploiement « %1 » non modifié : il a des prédictions journalisées ; un déploiement d’images se crée comme tel.</translation>
    </message>
    <message>
        <source>reading the feature sketches of &quot;%1&quot;</source>
        <translation>lecture des esquisses des variables de « %1 »</translation>
    </message>
    <message>
        <source>The feature sketches of &quot;%1&quot; were moved on by another writer.</source>
        <translation>Les esquisses des variables de « %1 » ont été avancées par un autre processus.</translation>
    </message>
    <message>
        <source>storing the feature sketches of &quot;%1&quot;</source>
        <translation>enregistrement des esquisses des variables de « %1 »</translation>
    </message>
    <message>
        <source>counting the outcomes not applied yet</source>
        <translation>comptage des résultats pas encore appliqués</translation>
    </message>
    <message>
        <source>The raw rows of &quot;%1&quot; before %2 are gone (retention): what needs them cannot be computed from %3. Choose a range from %2 on (the KPI figures of the earlier part are kept).</source>
        <translation>Les lignes brutes de « %1 » antérieures à %2 ont été supprimées (rétention) : ce qui en a besoin ne peut pas être calculé à partir de %3. Choisissez une plage à partir de %2 (les chiffres KPI de la partie antérieure sont conservés).</translation>
    </message>
    <message>
        <source>the retention must be %1 to %2 days, not %3</source>
        <translation>la rétention doit être de %1 à %2 jours, pas %3</translation>
    </message>
    <message>
        <source>reading the retention of &quot;%1&quot;</source>
        <translation>lecture de la rétention de « %1 »</translation>
    </message>
    <message>
        <source>Retention of &quot;%1&quot; not changed: %2.</source>
        <translation>Rétention de « %1 » non modifiée : %2.</translation>
    </message>
    <message>
        <source>changing the retention of &quot;%1&quot;</source>
        <translation>modification de la rétention de « %1 »</translation>
    </message>
    <message>
        <source>reading the retention horizons of &quot;%1&quot;</source>
        <translation>lecture des horizons de rétention de « %1 »</translation>
    </message>
    <message>
        <source>reading the minute aggregate horizon</source>
        <translation>lecture de l’horizon des agrégats par minute</translation>
    </message>
    <message>
        <source>the role %1 may not remove raw rows (that takes mldeck_admin): retention is not running</source>
        <translation>le rôle %1 ne peut pas supprimer de lignes brutes (il faut mldeck_admin) : la rétention ne s’exécute pas</translation>
    </message>
    <message>
        <source>checking the retention privileges</source>
        <translation>vérification des droits de rétention</translation>
    </message>
    <message>
        <source>listing the deployments for retention</source>
        <translation>liste des déploiements pour la rétention</translation>
    </message>
    <message>
        <source>past the retention of every deployment with rows in it</source>
        <translation>au-delà de la rétention de chaque déploiement qui y a des lignes</translation>
    </message>
    <message>
        <source>dropping prediction partitions past retention</source>
        <translation>suppression des partitions de prédictions au-delà de la rétention</translation>
    </message>
    <message numerus="yes">
        <source>raw rows past the retention of %n day(s)</source>
        <translation>
            <numerusform>lignes brutes au-delà de la rétention de %n jour</numerusform>
            <numerusform>lignes brutes au-delà de la rétention de %n jours</numerusform>
        </translation>
    </message>
    <message>
        <source>deleting raw rows of &quot;%1&quot; past retention</source>
        <translation>suppression des lignes brutes de « %1 » au-delà de la rétention</translation>
    </message>
    <message>
        <source>reading the minute aggregates of &quot;%1&quot;</source>
        <translation>lecture des agrégats par minute de « %1 »</translation>
    </message>
    <message>
        <source>minute aggregates folded into their hour rows</source>
        <translation>agrégats par minute repliés dans leurs lignes horaires</translation>
    </message>
    <message>
        <source>folding the minute aggregates of &quot;%1&quot;</source>
        <translation>repli des agrégats par minute de « %1 »</translation>
    </message>
    <message>
        <source>reading the replay lag of the read server</source>
        <translation>lecture du retard de rejeu du serveur de lecture</translation>
    </message>
    <message>
        <source>Redis at %1 is no longer the master (%2); reconnect through the sentinels.</source>
        <translation>Redis sur %1 n’est plus le maître (%2) ; reconnectez-vous par les sentinelles.</translation>
    </message>
    <message>
        <source>No sentinel given for the Redis master &quot;%1&quot;.</source>
        <translation>Aucune sentinelle indiquée pour le maître Redis « %1 ».</translation>
    </message>
    <message>
        <source>Redis at %1, named master of &quot;%2&quot; by the sentinels, answers as %3 (a failover is under way)</source>
        <translation>Redis sur %1, désigné maître de « %2 » par les sentinelles, répond en tant que %3 (une bascule est en cours)</translation>
    </message>
    <message>
        <source>No Redis master &quot;%1&quot; reachable through the sentinels: %2</source>
        <translation>Aucun maître Redis « %1 » joignable par les sentinelles : %2</translation>
    </message>
    <message>
        <source>the sentinel at %1 does not monitor a master named &quot;%2&quot;</source>
        <translation>la sentinelle sur %1 ne surveille aucun maître nommé « %2 »</translation>
    </message>
    <message>
        <source>No sentinel could name the Redis master &quot;%1&quot;: %2</source>
        <translation>Aucune sentinelle n’a pu désigner le maître Redis « %1 » : %2</translation>
    </message>
    <message>
        <source>retention would remove the first %1 logged predictions: kept as snapshot %2 (%3 rows)</source>
        <translation>la rétention supprimerait les %1 premières prédictions journalisées : conservées dans l’instantané %2 (%3 lignes)</translation>
    </message>
    <message>
        <source>keeping the first predictions of &quot;%1&quot; as a snapshot</source>
        <translation>conservation des premières prédictions de « %1 » dans un instantané</translation>
    </message>
    <message>
        <source>Retention removed predictions of &quot;%1&quot; logged before %2: &quot;the first %3 logged predictions&quot; are no longer the same rows. Choose another drift reference (mldeckctl drift reference set): a snapshot, or a period still kept.</source>
        <translation>La rétention a supprimé des prédictions de « %1 » journalisées avant %2 : « les %3 premières prédictions journalisées » ne sont plus les mêmes lignes. Choisissez une autre référence de dérive (mldeckctl drift reference set) : un instantané, ou une période encore conservée.</translation>
    </message>
    <message>
        <source>trimming the outcomes&apos; day index</source>
        <translation>l’élagage de l’index des jours des résultats</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertRuleEditor</name>
    <message>
        <source>Alert rule</source>
        <translation>Règle d’alerte</translation>
    </message>
    <message>
        <source>Rule id</source>
        <translation>Identifiant de la règle</translation>
    </message>
    <message>
        <source>e.g. failure_rate_fast</source>
        <translation>p. ex. failure_rate_fast</translation>
    </message>
    <message>
        <source>Failure rate (share of failed predictions, all paths)</source>
        <translation>Taux d’échec (part des prédictions échouées, tous chemins)</translation>
    </message>
    <message>
        <source>Latency p95 of the ML path (ms)</source>
        <translation>Latence p95 du chemin ML (ms)</translation>
    </message>
    <message>
        <source>MAE of the ML path</source>
        <translation>MAE du chemin ML</translation>
    </message>
    <message>
        <source>R² of the ML path</source>
        <translation>R² du chemin ML</translation>
    </message>
    <message>
        <source>No data (predictions in the window)</source>
        <translation>Absence de données (prédictions dans la fenêtre)</translation>
    </message>
    <message>
        <source>A backend dependency in fallback (minutes)</source>
        <translation>Une dépendance du backend en mode dégradé (minutes)</translation>
    </message>
    <message>
        <source>Metric</source>
        <translation>Métrique</translation>
    </message>
    <message>
        <source>Fires when the figure is</source>
        <translation>Se déclenche quand le chiffre est</translation>
    </message>
    <message>
        <source>above the threshold (&gt;)</source>
        <translation>au-dessus du seuil (&gt;)</translation>
    </message>
    <message>
        <source>below the threshold (&lt;)</source>
        <translation>en dessous du seuil (&lt;)</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>Seuil</translation>
    </message>
    <message>
        <source>Failure rate: a share (0.2 = 20 %). Latency: milliseconds. No data: fires when the window holds at most this many predictions. Dependency fallback: minutes in fallback (the window is unused).</source>
        <translation>Taux d’échec : une part (0.2 = 20 %). Latence : millisecondes. Absence de données : se déclenche quand la fenêtre contient au plus ce nombre de prédictions. Dépendance en mode dégradé : minutes en mode dégradé (la fenêtre n’est pas utilisée).</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>Fenêtre</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>secondes</translation>
    </message>
    <message>
        <source>Pending period (for)</source>
        <translation>Période d’attente (pendant)</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>Gravité</translation>
    </message>
    <message>
        <source>Info</source>
        <translation>Info</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>Avertissement</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>Critique</translation>
    </message>
    <message>
        <source>Enabled (a disabled rule&apos;s firing alert resolves)</source>
        <translation>Activée (l’alerte en cours d’une règle désactivée est résolue)</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Raison</translation>
    </message>
    <message>
        <source>optional, kept in the audit log</source>
        <translation>facultative, conservée dans le journal d’audit</translation>
    </message>
    <message>
        <source>A new rule needs an id: lower-case letters, digits, &apos;_&apos;, &apos;.&apos; or &apos;-&apos;.</source>
        <translation>Une nouvelle règle a besoin d’un identifiant : lettres minuscules, chiffres, « _ », « . » ou « - ».</translation>
    </message>
    <message>
        <source>This deployment already has a rule &quot;%1&quot;: edit that one, or choose another id.</source>
        <translation>Ce déploiement a déjà une règle « %1 » : modifiez-la, ou choisissez un autre identifiant.</translation>
    </message>
    <message>
        <source>Accuracy of the ML path (share of labelled predictions right)</source>
        <translation>Exactitude du chemin ML (part des prédictions étiquetées justes)</translation>
    </message>
    <message>
        <source>F1 of the ML path (binary: positive class; else macro)</source>
        <translation>F1 du chemin ML (binaire : classe positive ; sinon macro)</translation>
    </message>
    <message>
        <source>Log-loss of the ML path</source>
        <translation>Log-loss du chemin ML</translation>
    </message>
    <message>
        <source>Expected calibration error of the ML path</source>
        <translation>Erreur de calibration attendue (ECE) du chemin ML</translation>
    </message>
    <message>
        <source>Estimated accuracy of the ML path (before labels)</source>
        <translation>Exactitude estimée du chemin ML (avant étiquettes)</translation>
    </message>
    <message>
        <source>Failure rate, accuracy, F1, ECE: shares (0.9 = 90 %). Latency: milliseconds. An estimated accuracy the calibration check does not trust is no value. No data: fires when the window holds at most this many predictions. Dependency fallback: minutes in fallback.</source>
        <translation>Taux d’échec, exactitude, F1, ECE : des parts (0.9 = 90 %). Latence : millisecondes. Une exactitude estimée jugée non fiable par le contrôle de calibration ne compte pas comme valeur. Absence de données : se déclenche quand la fenêtre contient au plus ce nombre de prédictions. Dépendance en mode dégradé : minutes en mode dégradé.</translation>
    </message>
    <message>
        <source>Estimated MAE of the ML path (nanny model, before outcomes)</source>
        <translation>MAE estimée du chemin ML (modèle nanny, avant les résultats réels)</translation>
    </message>
    <message>
        <source>Resolve threshold</source>
        <translation>Seuil de résolution</translation>
    </message>
    <message>
        <source>Keep firing for</source>
        <translation>Maintenir déclenchée pendant</translation>
    </message>
    <message>
        <source>A firing rule resolves only once the figure has been past the resolve threshold (empty: the threshold itself) at every evaluation for the keep-firing time; in between it keeps firing, so a figure hovering near the threshold does not fire and resolve over and over. An evaluation without a figure (no outcomes yet, say) starts the keep-firing time again.</source>
        <translation>Une règle déclenchée ne se résout qu’une fois le chiffre passé au-delà du seuil de résolution (vide : le seuil lui-même) à chaque évaluation pendant la durée de maintien ; entre les deux, elle reste déclenchée, si bien qu’un chiffre qui oscille près du seuil ne se déclenche pas et ne se résout pas sans cesse. Une évaluation sans chiffre (pas encore de résultats réels, par exemple) fait repartir la durée de maintien.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertRulesTableModel</name>
    <message>
        <source>Disabled</source>
        <translation>Désactivée</translation>
    </message>
    <message>
        <source>Inactive</source>
        <translation>Inactive</translation>
    </message>
    <message>
        <source>Pending since %1</source>
        <translation>En attente depuis %1</translation>
    </message>
    <message>
        <source>Firing since %1</source>
        <translation>Déclenchée depuis %1</translation>
    </message>
    <message>
        <source>Resolved at %1</source>
        <translation>Résolue à %1</translation>
    </message>
    <message>
        <source>Changed for this deployment</source>
        <translation>Modifiée pour ce déploiement</translation>
    </message>
    <message>
        <source>Built-in default</source>
        <translation>Valeur intégrée par défaut</translation>
    </message>
    <message>
        <source>On</source>
        <translation>Activée</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Désactivée</translation>
    </message>
    <message>
        <source>Rule</source>
        <translation>Règle</translation>
    </message>
    <message>
        <source>Condition</source>
        <translation>Condition</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Last value</source>
        <translation>Dernière valeur</translation>
    </message>
    <message>
        <source>Evaluated</source>
        <translation>Évaluée</translation>
    </message>
    <message>
        <source>Enabled</source>
        <translation>Activée</translation>
    </message>
    <message>
        <source>at once</source>
        <translation>immédiate</translation>
    </message>
    <message>
        <source>%1 for %2 s</source>
        <translation>%1 pendant %2 s</translation>
    </message>
    <message>
        <source>Firing since %1, clearing since %2</source>
        <translation>Déclenchée depuis %1, en résolution depuis %2</translation>
    </message>
    <message>
        <source>Resolves</source>
        <translation>Résolution</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertRulesView</name>
    <message>
        <source>Alert rules could not be read: %1</source>
        <translation>Impossible de lire les règles d’alerte : %1</translation>
    </message>
    <message>
        <source>Add rule…</source>
        <translation>Ajouter une règle…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Modifier…</translation>
    </message>
    <message>
        <source>Reset to default</source>
        <translation>Remettre par défaut</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Supprimer</translation>
    </message>
    <message>
        <source>Rules are evaluated by the guard every 15 s.</source>
        <translation>Les règles sont évaluées par la garde toutes les 15 s.</translation>
    </message>
    <message>
        <source>%1: %2 firing, %3 pending. Rules are evaluated by the guard every 15 s; a change applies from its next round.</source>
        <translation>%1 : %2 en alerte, %3 en attente. Les règles sont évaluées par la garde toutes les 15 s ; une modification s’applique dès son tour suivant.</translation>
    </message>
    <message>
        <source>A built-in rule cannot be deleted: reset it to its default or turn it off.</source>
        <translation>Une règle prédéfinie ne peut pas être supprimée : remettez-la par défaut ou désactivez-la.</translation>
    </message>
    <message>
        <source>This rule already has its default values.</source>
        <translation>Cette règle a déjà ses valeurs par défaut.</translation>
    </message>
    <message>
        <source>Alert rule %1 of %2</source>
        <translation>Règle d’alerte %1 de %2</translation>
    </message>
    <message>
        <source>New alert rule for %1</source>
        <translation>Nouvelle règle d’alerte pour %1</translation>
    </message>
    <message>
        <source>Reset alert rule</source>
        <translation>Remettre la règle d’alerte par défaut</translation>
    </message>
    <message>
        <source>Reset rule %1 of %2 to its built-in default (%3)?</source>
        <translation>Remettre la règle %1 de %2 à sa valeur prédéfinie (%3) ?</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>Remettre par défaut</translation>
    </message>
    <message>
        <source>Delete alert rule</source>
        <translation>Supprimer la règle d’alerte</translation>
    </message>
    <message>
        <source>Delete rule %1 of %2 (%3)? An alert it raised resolves.</source>
        <translation>Supprimer la règle %1 de %2 (%3) ? Une alerte qu’elle a levée est résolue.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertsDriftPage</name>
    <message>
        <source>&lt;b&gt;Alerts&lt;/b&gt;</source>
        <translation>&lt;b&gt;Alertes&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>Acquitter</translation>
    </message>
    <message>
        <source>Silence…</source>
        <translation>Mettre en silence…</translation>
    </message>
    <message>
        <source>&lt;b&gt;Feature drift&lt;/b&gt;</source>
        <translation>&lt;b&gt;Dérive des variables&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Alerts could not be read: %1</source>
        <translation>Les alertes n’ont pas pu être lues : %1</translation>
    </message>
    <message>
        <source>Deployments could not be read: %1</source>
        <translation>Les déploiements n’ont pas pu être lus : %1</translation>
    </message>
    <message>
        <source>No deployment has logged predictions yet.</source>
        <translation>Aucun déploiement n’a encore journalisé de prédictions.</translation>
    </message>
    <message>
        <source>No drift figures: %1</source>
        <translation>Pas de chiffres de dérive : %1</translation>
    </message>
    <message>
        <source>Dataset drift: %1 of %2 features drift. Window %3 to %4 against %5.</source>
        <translation>Dérive du jeu de données : %1 variables sur %2 dérivent. Fenêtre de %3 à %4 comparée à la référence : %5.</translation>
    </message>
    <message>
        <source>No dataset drift: %1 of %2 features drift. Window %3 to %4 against %5.</source>
        <translation>Pas de dérive du jeu de données : %1 variables sur %2 dérivent. Fenêtre de %3 à %4 comparée à la référence : %5.</translation>
    </message>
    <message>
        <source>Already acknowledged by %1</source>
        <translation>Déjà acquittée par %1</translation>
    </message>
    <message>
        <source>Mark the selected alert as seen (audited)</source>
        <translation>Marquer l’alerte sélectionnée comme vue (audité)</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>Alertes</translation>
    </message>
    <message>
        <source>Rules</source>
        <translation>Règles</translation>
    </message>
    <message>
        <source>What fires and who saw it, and which features drift from their reference.</source>
        <translation>Ce qui se déclenche et qui l’a vu, et quelles variables dérivent de leur référence.</translation>
    </message>
    <message>
        <source>No drift figures yet: the reference is filling.</source>
        <translation>Pas encore de chiffres de dérive : la référence se remplit.</translation>
    </message>
    <message>
        <source>Alert %1 is not among the alerts listed here.</source>
        <translation>L’alerte %1 ne figure pas parmi les alertes listées ici.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AlertsTableModel</name>
    <message>
        <source>Resolved</source>
        <translation>Résolue</translation>
    </message>
    <message>
        <source>Silenced</source>
        <translation>En silence</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>Acquittée</translation>
    </message>
    <message>
        <source>Firing</source>
        <translation>Déclenchée</translation>
    </message>
    <message>
        <source>Silenced by %1 until %2</source>
        <translation>Mise en silence par %1 jusqu’à %2</translation>
    </message>
    <message>
        <source>critical</source>
        <translation>critique</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>avertissement</translation>
    </message>
    <message>
        <source>info</source>
        <translation>info</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>Gravité</translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation>Déploiement</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Titre</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>Depuis</translation>
    </message>
    <message>
        <source>Acknowledged by</source>
        <translation>Acquittée par</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AliasBadgeDelegate</name>
    <message>
        <source>champion</source>
        <translation>champion</translation>
    </message>
    <message>
        <source>challenger</source>
        <translation>challenger</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditDetail</name>
    <message>
        <source>&lt;b&gt;Before → after&lt;/b&gt;</source>
        <translation>&lt;b&gt;Avant → après&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Select a change to see it in full.</source>
        <translation>Sélectionnez un changement pour le voir en entier.</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; on %2</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; sur %2</translation>
    </message>
    <message>
        <source>no deployment</source>
        <translation>aucun déploiement</translation>
    </message>
    <message>
        <source>By %1 (database role %2%3) at %4</source>
        <translation>Par %1 (rôle de base de données %2%3) à %4</translation>
    </message>
    <message>
        <source>, host %1</source>
        <translation>, hôte %1</translation>
    </message>
    <message>
        <source>Made at %1 while PostgreSQL was unreachable; written when it came back.</source>
        <translation>Fait à %1 pendant que PostgreSQL était injoignable ; écrit à son retour.</translation>
    </message>
    <message>
        <source>No reason given.</source>
        <translation>Aucun motif indiqué.</translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation>Motif : %1</translation>
    </message>
    <message>
        <source>Row %1, number %2 in its chain.</source>
        <translation>Ligne %1, numéro %2 dans sa chaîne.</translation>
    </message>
    <message>
        <source>Row %1.</source>
        <translation>Ligne %1.</translation>
    </message>
    <message>
        <source>No before or after values were recorded.</source>
        <translation>Aucune valeur avant ou après n’a été enregistrée.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditFilterBar</name>
    <message>
        <source>All deployments</source>
        <translation>Tous les déploiements</translation>
    </message>
    <message>
        <source>Anyone</source>
        <translation>Tout le monde</translation>
    </message>
    <message>
        <source>Every kind</source>
        <translation>Tous les types</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>Toute période</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>Dernière heure</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>24 dernières heures</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>7 derniers jours</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>30 derniers jours</translation>
    </message>
    <message>
        <source>From… to…</source>
        <translation>Du… au…</translation>
    </message>
    <message>
        <source>Search reason, actor, values…</source>
        <translation>Rechercher motif, auteur, valeurs…</translation>
    </message>
    <message>
        <source>%1 (all)</source>
        <translation>%1 (tous)</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditLink</name>
    <message>
        <source>Open model version %1</source>
        <translation>Ouvrir la version de modèle %1</translation>
    </message>
    <message>
        <source>Open alert %1</source>
        <translation>Ouvrir l’alerte %1</translation>
    </message>
    <message>
        <source>Show this moment on the dashboard</source>
        <translation>Afficher ce moment dans le tableau de bord</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditPage</name>
    <message>
        <source>Who changed what, and when.</source>
        <translation>Qui a changé quoi, et quand.</translation>
    </message>
    <message>
        <source>Export the audit rows shown</source>
        <translation>Exporter les lignes d’audit affichées</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Fichiers CSV (*.csv)</translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation>Fichiers JSON (*.json)</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>Exporter en CSV…</translation>
    </message>
    <message>
        <source>Write the rows the filters show to a CSV file</source>
        <translation>Écrire les lignes affichées par les filtres dans un fichier CSV</translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation>Exporter en JSON…</translation>
    </message>
    <message>
        <source>Write the rows the filters show to a JSON file</source>
        <translation>Écrire les lignes affichées par les filtres dans un fichier JSON</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Actualiser</translation>
    </message>
    <message>
        <source>Changes</source>
        <translation>Changements</translation>
    </message>
    <message>
        <source>What served when</source>
        <translation>Ce qui a servi, et quand</translation>
    </message>
    <message>
        <source>%1 rows written</source>
        <translation>%1 lignes écrites</translation>
    </message>
    <message>
        <source>The audit log could not be read: %1</source>
        <translation>Le journal d’audit n’a pas pu être lu : %1</translation>
    </message>
    <message>
        <source>No changes match</source>
        <translation>Aucun changement ne correspond</translation>
    </message>
    <message>
        <source>No audit row matches these filters. Widen the time range, pick another deployment or kind, or clear the search.</source>
        <translation>Aucune ligne d’audit ne correspond à ces filtres. Élargissez la plage de temps, choisissez un autre déploiement ou un autre type, ou effacez la recherche.</translation>
    </message>
    <message>
        <source>Cancel export</source>
        <translation>Annuler l’export</translation>
    </message>
    <message>
        <source>Reading the audit log…</source>
        <translation>Lecture du journal d’audit…</translation>
    </message>
    <message>
        <source>Not connected.</source>
        <translation>Non connecté.</translation>
    </message>
    <message numerus="yes">
        <source>%n change(s), newest first; new ones appear live.</source>
        <translation>
            <numerusform>%n changement, les plus récents d’abord ; les nouveaux apparaissent en direct.</numerusform>
            <numerusform>%n changements, les plus récents d’abord ; les nouveaux apparaissent en direct.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n change(s) match, newest first; new ones appear live.</source>
        <translation>
            <numerusform>%n changement correspond, les plus récents d’abord ; les nouveaux apparaissent en direct.</numerusform>
            <numerusform>%n changements correspondent, les plus récents d’abord ; les nouveaux apparaissent en direct.</numerusform>
        </translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Export en cours…</translation>
    </message>
    <message numerus="yes">
        <source>%n row(s) exported.</source>
        <translation>
            <numerusform>%n ligne exportée.</numerusform>
            <numerusform>%n lignes exportées.</numerusform>
        </translation>
    </message>
    <message>
        <source>Nothing was exported: %1</source>
        <translation>Rien n’a été exporté : %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditTableModel</name>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>%1 (database role %2)</source>
        <translation>%1 (rôle de base de données %2)</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Date et heure</translation>
    </message>
    <message>
        <source>Actor</source>
        <translation>Auteur</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation>Déploiement</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Raison</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Changement</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ClassificationCharts</name>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>Accuracy (%)</source>
        <translation>Exactitude (%)</translation>
    </message>
    <message>
        <source>Realised vs estimated accuracy (%)</source>
        <translation>Exactitude réelle face à estimée (%)</translation>
    </message>
    <message>
        <source>Mean confidence (%)</source>
        <translation>Confiance moyenne (%)</translation>
    </message>
    <message>
        <source>Positive rate (%)</source>
        <translation>Taux de positifs (%)</translation>
    </message>
    <message>
        <source>Latency of ML (ms)</source>
        <translation>Latence du ML (ms)</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Error rate (%)</source>
        <translation>Taux d’erreur (%)</translation>
    </message>
    <message>
        <source>ML</source>
        <translation>ML</translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation>Heuristique</translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation>Repli</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Objectif</translation>
    </message>
    <message>
        <source>Stretch</source>
        <translation>Ambitieux</translation>
    </message>
    <message>
        <source>Realised</source>
        <translation>Réelle</translation>
    </message>
    <message>
        <source>Estimated</source>
        <translation>Estimée</translation>
    </message>
    <message>
        <source>Estimate not trusted</source>
        <translation>Estimation non fiable</translation>
    </message>
    <message>
        <source>Positive rate: served as &quot;%1&quot; (%)</source>
        <translation>Taux de positifs : servi comme « %1 » (%)</translation>
    </message>
    <message>
        <source>Share served as each class (%)</source>
        <translation>Part servie par classe (%)</translation>
    </message>
    <message>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <source>p99</source>
        <translation>p99</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ClassificationDetail</name>
    <message>
        <source>Confusion matrix</source>
        <translation>Matrice de confusion</translation>
    </message>
    <message>
        <source>Reliability diagram</source>
        <translation>Diagramme de fiabilité</translation>
    </message>
    <message>
        <source>Confusion and calibration over the range</source>
        <translation>Confusion et calibration sur la plage</translation>
    </message>
    <message>
        <source>For:</source>
        <translation>Pour :</translation>
    </message>
    <message>
        <source>All paths</source>
        <translation>Toutes les voies</translation>
    </message>
    <message>
        <source>ML</source>
        <translation>ML</translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation>Heuristique</translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation>Repli</translation>
    </message>
    <message>
        <source>Path: %1</source>
        <translation>Voie : %1</translation>
    </message>
    <message>
        <source>Model version: %1</source>
        <translation>Version du modèle : %1</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(aucun)</translation>
    </message>
    <message>
        <source>Predicted P(%1)</source>
        <translation>P(%1) prédite</translation>
    </message>
    <message>
        <source>Confidence (probability of the class served)</source>
        <translation>Confiance (probabilité de la classe servie)</translation>
    </message>
    <message>
        <source>Share %1</source>
        <translation>Part %1</translation>
    </message>
    <message>
        <source>Share right</source>
        <translation>Part correcte</translation>
    </message>
    <message numerus="yes">
        <source>ECE %1 · log-loss %2 · Brier %3 · %n labelled predictions</source>
        <translation>
            <numerusform>ECE %1 · log-loss %2 · Brier %3 · %n prédiction étiquetée</numerusform>
            <numerusform>ECE %1 · log-loss %2 · Brier %3 · %n prédictions étiquetées</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::CompareView</name>
    <message>
        <source>File path or eta:champion, eta@3</source>
        <translation>Chemin de fichier ou eta:champion, eta@3</translation>
    </message>
    <message>
        <source>Optional</source>
        <translation>Facultatif</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Parcourir…</translation>
    </message>
    <message>
        <source>Baseline (A)</source>
        <translation>Référence (A)</translation>
    </message>
    <message>
        <source>Model %1</source>
        <translation>Modèle %1</translation>
    </message>
    <message>
        <source>CSV file</source>
        <translation>Fichier CSV</translation>
    </message>
    <message>
        <source>Logged window</source>
        <translation>Période journalisée</translation>
    </message>
    <message>
        <source>CSV made by mldeckctl demo-data, or your own</source>
        <translation>CSV produit par mldeckctl demo-data, ou le vôtre</translation>
    </message>
    <message>
        <source>Rows</source>
        <translation>Lignes</translation>
    </message>
    <message>
        <source> h</source>
        <translation> h</translation>
    </message>
    <message>
        <source>deployment (empty: the only one)</source>
        <translation>déploiement (vide : le seul existant)</translation>
    </message>
    <message>
        <source>default: the model&apos;s target, else delay_min</source>
        <translation>par défaut : la cible du modèle, sinon delay_min</translation>
    </message>
    <message>
        <source>Target column</source>
        <translation>Colonne cible</translation>
    </message>
    <message>
        <source>Run comparison</source>
        <translation>Lancer la comparaison</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>Exporter en CSV…</translation>
    </message>
    <message>
        <source>Export PDF…</source>
        <translation>Exporter en PDF…</translation>
    </message>
    <message>
        <source>Metrics and differences</source>
        <translation>Métriques et différences</translation>
    </message>
    <message>
        <source>Segments</source>
        <translation>Segments</translation>
    </message>
    <message>
        <source>Plots</source>
        <translation>Graphiques</translation>
    </message>
    <message>
        <source>Choose a TorchScript model</source>
        <translation>Choisir un modèle TorchScript</translation>
    </message>
    <message>
        <source>TorchScript models (*.pt *.pth);;All files (*)</source>
        <translation>Modèles TorchScript (*.pt *.pth);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Choose the rows</source>
        <translation>Choisir les lignes</translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>Fichiers CSV (*.csv);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Choose a CSV file, or use a logged window.</source>
        <translation>Choisissez un fichier CSV, ou utilisez une période journalisée.</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Démarrage…</translation>
    </message>
    <message>
        <source>Done: %1 rows.</source>
        <translation>Terminé : %1 lignes.</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Annulé.</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <source>The comparison failed: %1</source>
        <translation>La comparaison a échoué : %1</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitude</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>Précision</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>Rappel</translation>
    </message>
    <message>
        <source>Rows/s</source>
        <translation>Lignes/s</translation>
    </message>
    <message>
        <source>Latency p50 (ms)</source>
        <translation>Latence p50 (ms)</translation>
    </message>
    <message>
        <source>Latency p99 (ms)</source>
        <translation>Latence p99 (ms)</translation>
    </message>
    <message>
        <source>Challenger vs baseline</source>
        <translation>Challenger par rapport à la référence</translation>
    </message>
    <message>
        <source>Metric</source>
        <translation>Métrique</translation>
    </message>
    <message>
        <source>Δ (B − A)</source>
        <translation>Δ (B − A)</translation>
    </message>
    <message>
        <source>95 % CI</source>
        <translation>IC à 95 %</translation>
    </message>
    <message>
        <source>Relative</source>
        <translation>Relatif</translation>
    </message>
    <message>
        <source>Relative 95 % CI</source>
        <translation>IC relatif à 95 %</translation>
    </message>
    <message>
        <source>Significant</source>
        <translation>Significatif</translation>
    </message>
    <message>
        <source>%1 vs %2</source>
        <translation>%1 vs %2</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>oui</translation>
    </message>
    <message>
        <source>no</source>
        <translation>non</translation>
    </message>
    <message>
        <source>Segment</source>
        <translation>Segment</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>Export the comparison as CSV</source>
        <translation>Exporter la comparaison en CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Fichiers CSV (*.csv)</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
    <message>
        <source>Exported %1.</source>
        <translation>%1 exporté.</translation>
    </message>
    <message>
        <source>Export the comparison as PDF</source>
        <translation>Exporter la comparaison en PDF</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>Fichiers PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation>Log-loss</translation>
    </message>
    <message>
        <source>Labelled image folder</source>
        <translation>Dossier d’images étiqueté</translation>
    </message>
    <message>
        <source>image models: one subfolder per class</source>
        <translation>modèles d’images : un sous-dossier par classe</translation>
    </message>
    <message>
        <source>Misclassified images</source>
        <translation>Images mal classées</translation>
    </message>
    <message>
        <source>Choose a labelled image folder</source>
        <translation>Choisir un dossier d’images étiqueté</translation>
    </message>
    <message>
        <source>Choose a model to evaluate, or two to four to compare.</source>
        <translation>Choisissez un modèle à évaluer, ou de deux à quatre à comparer.</translation>
    </message>
    <message>
        <source>Choose a labelled image folder, or use a logged window.</source>
        <translation>Choisissez un dossier d’images étiqueté, ou utilisez une fenêtre journalisée.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ConfirmedStatePanel</name>
    <message>
        <source>just now</source>
        <translation>à l’instant</translation>
    </message>
    <message numerus="yes">
        <source>%n s ago</source>
        <translation>
            <numerusform>il y a %n s</numerusform>
            <numerusform>il y a %n s</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n min ago</source>
        <translation>
            <numerusform>il y a %n min</numerusform>
            <numerusform>il y a %n min</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h ago</source>
        <translation>
            <numerusform>il y a %n h</numerusform>
            <numerusform>il y a %n h</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n days ago</source>
        <translation>
            <numerusform>il y a %n jour</numerusform>
            <numerusform>il y a %n jours</numerusform>
        </translation>
    </message>
    <message>
        <source>Confirmed in Redis</source>
        <translation>Confirmé dans Redis</translation>
    </message>
    <message>
        <source>ML enabled</source>
        <translation>ML activé</translation>
    </message>
    <message>
        <source>Traffic to ML</source>
        <translation>Trafic vers le ML</translation>
    </message>
    <message>
        <source>Fallback on error</source>
        <translation>Repli en cas d’erreur</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>Changed by</source>
        <translation>Modifié par</translation>
    </message>
    <message>
        <source>Changed at</source>
        <translation>Modifié le</translation>
    </message>
    <message>
        <source>Not read yet.</source>
        <translation>Pas encore lu.</translation>
    </message>
    <message>
        <source>Redis holds no flag set for “%1”: backends treat ML as off.</source>
        <translation>Redis ne contient aucun jeu de drapeaux pour « %1 » : les backends considèrent le ML comme coupé.</translation>
    </message>
    <message>
        <source>INVALID in Redis</source>
        <translation>NON VALIDE dans Redis</translation>
    </message>
    <message>
        <source>On</source>
        <translation>Activé</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>Coupé</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>inconnu</translation>
    </message>
    <message>
        <source>⚠ Invalid flag set (%1): backends treat ML as OFF.</source>
        <translation>⚠ Jeu de drapeaux non valide (%1) : les backends considèrent le ML comme COUPÉ.</translation>
    </message>
    <message>
        <source>● ML off: every request uses the heuristic.</source>
        <translation>● ML coupé : chaque requête utilise l’heuristique.</translation>
    </message>
    <message>
        <source>● ML serves %1 % of requests.</source>
        <translation>● Le ML sert %1 % des requêtes.</translation>
    </message>
    <message>
        <source>(last read before the connection was lost: may be stale)</source>
        <translation>(dernière lecture avant la perte de la connexion : peut être périmée)</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ConfusionMatrixView</name>
    <message>
        <source>Rows: the actual class; columns: the class served. A cell shows its count and its share of the row.</source>
        <translation>Lignes : la classe réelle ; colonnes : la classe servie. Une cellule indique son effectif et sa part de la ligne.</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>Served as</source>
        <translation>Servi comme</translation>
    </message>
    <message>
        <source>Actual</source>
        <translation>Réel</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ConnectionDialog</name>
    <message>
        <source>Connect</source>
        <translation>Connexion</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Ajouter</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Renommer…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Supprimer</translation>
    </message>
    <message>
        <source>Profiles</source>
        <translation>Profils</translation>
    </message>
    <message>
        <source>e.g. Production</source>
        <translation>par ex. Production</translation>
    </message>
    <message>
        <source>Profile &amp;name:</source>
        <translation>&amp;Nom du profil :</translation>
    </message>
    <message>
        <source>Redis (rollout flags)</source>
        <translation>Redis (drapeaux de déploiement)</translation>
    </message>
    <message>
        <source>optional (Redis 6 ACL user)</source>
        <translation>facultatif (utilisateur ACL de Redis 6)</translation>
    </message>
    <message>
        <source>Host:</source>
        <translation>Hôte :</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Port :</translation>
    </message>
    <message>
        <source>User:</source>
        <translation>Utilisateur :</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>Mot de passe :</translation>
    </message>
    <message>
        <source>PostgreSQL (prediction log, registry, audit)</source>
        <translation>PostgreSQL (journal des prédictions, registre, audit)</translation>
    </message>
    <message>
        <source>Database:</source>
        <translation>Base :</translation>
    </message>
    <message>
        <source>SSL mode:</source>
        <translation>Mode SSL :</translation>
    </message>
    <message>
        <source>Passwords are stored only in the system keychain, never in the settings file. Leave a password empty to keep the stored one.</source>
        <translation>Les mots de passe sont conservés uniquement dans le trousseau du système, jamais dans le fichier de réglages. Laissez un mot de passe vide pour garder celui qui est enregistré.</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;Enregistrer</translation>
    </message>
    <message>
        <source>&amp;Connect</source>
        <translation>Se &amp;connecter</translation>
    </message>
    <message>
        <source>from the environment</source>
        <translation>depuis l’environnement</translation>
    </message>
    <message>
        <source>unchanged</source>
        <translation>inchangé</translation>
    </message>
    <message>
        <source>This profile comes from MLDECK_REDIS_URL / MLDECK_PG_URL and takes precedence while they are set. It cannot be edited here.</source>
        <translation>Ce profil vient de MLDECK_REDIS_URL / MLDECK_PG_URL et prévaut tant qu’elles sont définies. Il ne peut pas être modifié ici.</translation>
    </message>
    <message>
        <source>New profile</source>
        <translation>Nouveau profil</translation>
    </message>
    <message>
        <source>New profile %1</source>
        <translation>Nouveau profil %1</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>facultatif</translation>
    </message>
    <message>
        <source>A profile named &quot;%1&quot; already exists.</source>
        <translation>Un profil nommé « %1 » existe déjà.</translation>
    </message>
    <message>
        <source>The name &quot;%1&quot; is reserved for the environment profile.</source>
        <translation>Le nom « %1 » est réservé au profil de l’environnement.</translation>
    </message>
    <message>
        <source>Redis port &quot;%1&quot; is not a number between 1 and 65535.</source>
        <translation>Le port Redis « %1 » n’est pas un nombre entre 1 et 65535.</translation>
    </message>
    <message>
        <source>PostgreSQL port &quot;%1&quot; is not a number between 1 and 65535.</source>
        <translation>Le port PostgreSQL « %1 » n’est pas un nombre entre 1 et 65535.</translation>
    </message>
    <message>
        <source>Profile &quot;%1&quot; saved.</source>
        <translation>Profil « %1 » enregistré.</translation>
    </message>
    <message>
        <source>Rename profile</source>
        <translation>Renommer le profil</translation>
    </message>
    <message>
        <source>New name:</source>
        <translation>Nouveau nom :</translation>
    </message>
    <message>
        <source>Delete profile</source>
        <translation>Supprimer le profil</translation>
    </message>
    <message>
        <source>Delete the profile &quot;%1&quot; and its stored passwords?</source>
        <translation>Supprimer le profil « %1 » et ses mots de passe enregistrés ?</translation>
    </message>
    <message>
        <source>Profile &quot;%1&quot; deleted.</source>
        <translation>Profil « %1 » supprimé.</translation>
    </message>
    <message>
        <source>Enter the passwords for this session. They are kept in memory only until MLDeck quits.</source>
        <translation>Saisissez les mots de passe pour cette session. Ils sont gardés en mémoire seulement, jusqu’à la fermeture de MLDeck.</translation>
    </message>
    <message>
        <source>The password could not be stored in the system keychain: %1
It is kept in memory for this session only.</source>
        <translation>Le mot de passe n’a pas pu être enregistré dans le trousseau du système : %1
Il est gardé en mémoire pour cette session seulement.</translation>
    </message>
    <message>
        <source>~/.postgresql/root.crt</source>
        <translation>~/.postgresql/root.crt</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>Choisir…</translation>
    </message>
    <message>
        <source>CA file:</source>
        <translation>Fichier CA :</translation>
    </message>
    <message>
        <source>CA certificate of the PostgreSQL server</source>
        <translation>Certificat CA du serveur PostgreSQL</translation>
    </message>
    <message>
        <source>Certificates (*.crt *.pem *.cer);;All files (*)</source>
        <translation>Certificats (*.crt *.pem *.cer);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Single server</source>
        <translation>Serveur unique</translation>
    </message>
    <message>
        <source>Sentinel (high availability)</source>
        <translation>Sentinel (haute disponibilité)</translation>
    </message>
    <message>
        <source>host1:26379, host2:26379, host3:26379</source>
        <translation>hôte1:26379, hôte2:26379, hôte3:26379</translation>
    </message>
    <message>
        <source>The sentinels, asked in this order for the master&apos;s address. The user and password below log in to the sentinels and to the Redis nodes.</source>
        <translation>Les sentinelles, interrogées dans cet ordre pour obtenir l’adresse du maître. L’utilisateur et le mot de passe ci-dessous servent à se connecter aux sentinelles et aux nœuds Redis.</translation>
    </message>
    <message>
        <source>Connect to:</source>
        <translation>Se connecter à :</translation>
    </message>
    <message>
        <source>Sentinels:</source>
        <translation>Sentinelles :</translation>
    </message>
    <message>
        <source>Master name:</source>
        <translation>Nom du maître :</translation>
    </message>
    <message>
        <source>optional: postgresql://standby-host:5432/mldeck</source>
        <translation>facultatif : postgresql://hote-secondaire:5432/mldeck</translation>
    </message>
    <message>
        <source>A hot standby of this PostgreSQL: the dashboard, drift page, reports and /metrics read there, every change goes to the primary. It uses the primary&apos;s user and password.</source>
        <translation>Un serveur secondaire (hot standby) de ce PostgreSQL : le tableau de bord, la page de dérive, les rapports et /metrics y lisent ; toute modification va au primaire. Il utilise l’utilisateur et le mot de passe du primaire.</translation>
    </message>
    <message>
        <source>Read replica URL:</source>
        <translation>URL de la réplique de lecture :</translation>
    </message>
    <message>
        <source>Read replica max lag (s):</source>
        <translation>Retard max. de la réplique (s) :</translation>
    </message>
    <message>
        <source>Redis sentinels: %1</source>
        <translation>Sentinelles Redis : %1</translation>
    </message>
    <message>
        <source>The read replica&apos;s max lag &quot;%1&quot; is not a whole number of seconds.</source>
        <translation>Le retard max. « %1 » de la réplique de lecture n’est pas un nombre entier de secondes.</translation>
    </message>
    <message>
        <source>The read replica URL must not carry a password: the primary&apos;s password is used (a physical standby has the primary&apos;s roles).</source>
        <translation>L’URL de la réplique de lecture ne doit pas contenir de mot de passe : celui du primaire est utilisé (un secondaire physique a les rôles du primaire).</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ConnectionSession</name>
    <message>
        <source>Local stack (environment)</source>
        <translation>Pile locale (environnement)</translation>
    </message>
    <message>
        <source>MLDECK_REDIS_URL: %1</source>
        <translation>MLDECK_REDIS_URL : %1</translation>
    </message>
    <message>
        <source>MLDECK_PG_URL: %1</source>
        <translation>MLDECK_PG_URL : %1</translation>
    </message>
    <message>
        <source>Local defaults</source>
        <translation>Valeurs locales par défaut</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DashboardCharts</name>
    <message>
        <source>MAE (minutes)</source>
        <translation>MAE (minutes)</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <source>R²</source>
        <translation>R²</translation>
    </message>
    <message>
        <source>Latency of ML (ms)</source>
        <translation>Latence du ML (ms)</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>Error rate (%)</source>
        <translation>Taux d’erreur (%)</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>Throughput (predictions/s)</source>
        <translation>Débit (prédictions/s)</translation>
    </message>
    <message>
        <source>%1 /s</source>
        <translation>%1 /s</translation>
    </message>
    <message>
        <source>%1 by %2
%3</source>
        <translation>%1 par %2
%3</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>inconnu</translation>
    </message>
    <message>
        <source>ML</source>
        <translation>ML</translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation>Heuristique</translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation>Repli</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Objectif</translation>
    </message>
    <message>
        <source>Stretch</source>
        <translation>Ambitieux</translation>
    </message>
    <message>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <source>p99</source>
        <translation>p99</translation>
    </message>
    <message>
        <source>ML (estimated)</source>
        <translation>ML (estimée)</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DashboardPage</name>
    <message>
        <source>Off</source>
        <translation>Désactivé</translation>
    </message>
    <message>
        <source>1 s</source>
        <translation>1 s</translation>
    </message>
    <message>
        <source>5 s</source>
        <translation>5 s</translation>
    </message>
    <message>
        <source>10 s</source>
        <translation>10 s</translation>
    </message>
    <message>
        <source>30 s</source>
        <translation>30 s</translation>
    </message>
    <message>
        <source>60 s</source>
        <translation>60 s</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Rapport</translation>
    </message>
    <message>
        <source>Last day as PDF…</source>
        <translation>Dernier jour en PDF…</translation>
    </message>
    <message>
        <source>Last week as PDF…</source>
        <translation>Dernière semaine en PDF…</translation>
    </message>
    <message>
        <source>Last day as CSV…</source>
        <translation>Dernier jour en CSV…</translation>
    </message>
    <message>
        <source>Last week as CSV…</source>
        <translation>Dernière semaine en CSV…</translation>
    </message>
    <message>
        <source>Save the report</source>
        <translation>Enregistrer le rapport</translation>
    </message>
    <message>
        <source>Auto-refresh:</source>
        <translation>Actualisation auto :</translation>
    </message>
    <message>
        <source>By path and by model version</source>
        <translation>Par voie et par version de modèle</translation>
    </message>
    <message>
        <source>No deployment has logged predictions yet: nothing to show.</source>
        <translation>Aucun déploiement n’a encore journalisé de prédictions : rien à afficher.</translation>
    </message>
    <message>
        <source>Not connected to a database yet.</source>
        <translation>Pas encore connecté à une base de données.</translation>
    </message>
    <message>
        <source>Loading the deployments…</source>
        <translation>Chargement des déploiements…</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>Chargement de %1…</translation>
    </message>
    <message>
        <source>No predictions of %1 in this range (refreshed at %2, took %3 ms).</source>
        <translation>Aucune prédiction de %1 sur cette plage (actualisé à %2, en %3 ms).</translation>
    </message>
    <message>
        <source>Live · refreshed at %1, took %2 ms</source>
        <translation>En direct · actualisé à %1, en %2 ms</translation>
    </message>
    <message>
        <source>Range %1 to %2 · refreshed at %3, took %4 ms</source>
        <translation>Plage du %1 au %2 · actualisé à %3, en %4 ms</translation>
    </message>
    <message>
        <source>Cannot read the figures: %1. The figures below are from %2 and are NOT live; retrying.</source>
        <translation>Impossible de lire les valeurs : %1. Les valeurs ci-dessous datent de %2 et ne sont PAS en direct ; nouvelle tentative en cours.</translation>
    </message>
    <message>
        <source>Cannot read the figures: %1. The figures below are from %2 and are NOT live; press Refresh to try again.</source>
        <translation>Impossible de lire les valeurs : %1. Les valeurs ci-dessous datent de %2 et ne sont PAS en direct ; appuyez sur Actualiser pour réessayer.</translation>
    </message>
    <message>
        <source>Cannot read the figures: %1. No figures to show; retrying.</source>
        <translation>Impossible de lire les valeurs : %1. Aucune valeur à afficher ; nouvelle tentative en cours.</translation>
    </message>
    <message>
        <source>Connect to a database and choose a deployment before exporting a report.</source>
        <translation>Connectez-vous à une base de données et choisissez un déploiement avant d’exporter un rapport.</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>Fichiers PDF (*.pdf)</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Fichiers CSV (*.csv)</translation>
    </message>
    <message>
        <source>Writing the report to %1…</source>
        <translation>Écriture du rapport dans %1…</translation>
    </message>
    <message>
        <source>How the model does against its targets, live or over a range, next to the heuristic.</source>
        <translation>Comment le modèle tient ses objectifs, en direct ou sur une période, à côté de l’heuristique.</translation>
    </message>
    <message>
        <source>Raw rows before %1 are gone (retention): the figures before it come from the kept aggregates, at hour resolution where minute rows were folded; drift, evaluation and retraining have no rows there.</source>
        <translation>Les lignes brutes antérieures à %1 ont été supprimées (rétention) : les chiffres d’avant proviennent des agrégats conservés, à la résolution horaire là où les agrégats par minute ont été repliés ; la dérive, l’évaluation et le réentraînement n’y ont pas de lignes.</translation>
    </message>
    <message numerus="yes">
        <source>NOT live: the read replica is more than %n s behind the primary (refreshed at %1, took %2 ms)</source>
        <translation>
            <numerusform>PAS en direct : la réplique de lecture a plus de %n s de retard sur le primaire (actualisé à %1, en %2 ms)</numerusform>
            <numerusform>PAS en direct : la réplique de lecture a plus de %n s de retard sur le primaire (actualisé à %1, en %2 ms)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>NOT live: %n outcomes are not counted yet, the primary is applying them (refreshed at %1, took %2 ms)</source>
        <translation>
            <numerusform>PAS en direct : %n résultat n’est pas encore compté, le primaire l’applique (actualisé à %1, en %2 ms)</numerusform>
            <numerusform>PAS en direct : %n résultats ne sont pas encore comptés, le primaire les applique (actualisé à %1, en %2 ms)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DataStep</name>
    <message>
        <source> days</source>
        <translation> jours</translation>
    </message>
    <message>
        <source>The newest share of the rows, by time: never trained on, used to compare the candidate with the champion</source>
        <translation>La part la plus récente des lignes, dans l’ordre du temps : jamais utilisée pour l’entraînement, elle sert à comparer le candidat au champion</translation>
    </message>
    <message>
        <source>Include feedback (rows with negative feedback weigh double)</source>
        <translation>Inclure les retours (les lignes avec un retour négatif comptent double)</translation>
    </message>
    <message>
        <source>Summarize</source>
        <translation>Résumer</translation>
    </message>
    <message>
        <source>Data window</source>
        <translation>Période de données</translation>
    </message>
    <message>
        <source>Holdout (newest rows)</source>
        <translation>Jeu de test (lignes les plus récentes)</translation>
    </message>
    <message>
        <source>Rows</source>
        <translation>Lignes</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>Découpage</translation>
    </message>
    <message>
        <source>Dates</source>
        <translation>Dates</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Cible</translation>
    </message>
    <message>
        <source>Target distribution</source>
        <translation>Distribution de la cible</translation>
    </message>
    <message>
        <source>Feature</source>
        <translation>Variable</translation>
    </message>
    <message>
        <source>Rows left out (missing)</source>
        <translation>Lignes écartées (manquantes)</translation>
    </message>
    <message>
        <source>Press Summarize to see what the window holds.</source>
        <translation>Appuyez sur Résumer pour voir ce que contient la période.</translation>
    </message>
    <message>
        <source>Reading the window…</source>
        <translation>Lecture de la période…</translation>
    </message>
    <message>
        <source>Summary of the last %1 days.</source>
        <translation>Résumé des %1 derniers jours.</translation>
    </message>
    <message>
        <source>%1 rows with an outcome, %2 of them with negative feedback</source>
        <translation>%1 lignes avec un résultat réel, dont %2 avec un retour négatif</translation>
    </message>
    <message>
        <source>training %1 · validation %2 · holdout %3</source>
        <translation>entraînement %1 · validation %2 · test %3</translation>
    </message>
    <message>
        <source>%1 → %2 (holdout from %3)</source>
        <translation>%1 → %2 (test à partir de %3)</translation>
    </message>
    <message>
        <source>mean %1, sd %2, range %3 … %4</source>
        <translation>moyenne %1, écart-type %2, étendue %3 … %4</translation>
    </message>
    <message>
        <source>Target (lower edge of each bin)</source>
        <translation>Cible (borne inférieure de chaque classe)</translation>
    </message>
    <message>
        <source>No value is missing in this window.</source>
        <translation>Aucune valeur ne manque sur cette période.</translation>
    </message>
    <message>
        <source>Cannot summarize: %1</source>
        <translation>Résumé impossible : %1</translation>
    </message>
    <message>
        <source>%1 %2 %</source>
        <translation>%1 %2 %</translation>
    </message>
    <message>
        <source>True class</source>
        <translation>Classe réelle</translation>
    </message>
    <message>
        <source>%1 labelled images in the window (%2) and %3 in the reference set %4</source>
        <translation>%1 images étiquetées dans la fenêtre (%2) et %3 dans l’ensemble de référence %4</translation>
    </message>
    <message>
        <source>training %1 · validation %2 images · holdout %3 images (the holdout set %4)</source>
        <translation>entraînement %1 · validation %2 images · test %3 images (l’ensemble de test %4)</translation>
    </message>
    <message>
        <source>%1 → %2</source>
        <translation>%1 → %2</translation>
    </message>
    <message>
        <source>%1 –</source>
        <translation>%1 –</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DecisionStep</name>
    <message>
        <source>Reason (kept in the audit log)</source>
        <translation>Motif (conservé dans le journal d’audit)</translation>
    </message>
    <message>
        <source>Start a rollout plan at 10 % after promoting</source>
        <translation>Démarrer un plan de déploiement à 10 % après la promotion</translation>
    </message>
    <message>
        <source>Promote to champion</source>
        <translation>Promouvoir champion</translation>
    </message>
    <message>
        <source>Keep as challenger</source>
        <translation>Garder comme challenger</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Écarter</translation>
    </message>
    <message>
        <source>Start another</source>
        <translation>En lancer un autre</translation>
    </message>
    <message>
        <source>This run registered no candidate (dry run): there is nothing to promote or keep.</source>
        <translation>Cette exécution n’a enregistré aucun candidat (essai à blanc) : rien à promouvoir ni à garder.</translation>
    </message>
    <message>
        <source>Candidate %1@%2 beats the champion by the rule: it can be promoted.</source>
        <translation>Le candidat %1@%2 bat le champion selon la règle : il peut être promu.</translation>
    </message>
    <message>
        <source>Candidate %1@%2 does not beat the champion by the rule, so it cannot be promoted here. Keep it as challenger to compare it on live traffic, or discard it.</source>
        <translation>Le candidat %1@%2 ne bat pas le champion selon la règle ; il ne peut donc pas être promu ici. Gardez-le comme challenger pour le comparer sur le trafic réel, ou écartez-le.</translation>
    </message>
    <message>
        <source>The decision rule says not to promote this candidate</source>
        <translation>La règle de décision indique de ne pas promouvoir ce candidat</translation>
    </message>
    <message>
        <source>Applying…</source>
        <translation>Application…</translation>
    </message>
    <message>
        <source>%1@%2 is the new champion; a rollout plan starting at 10 % was created.</source>
        <translation>%1@%2 est le nouveau champion ; un plan de déploiement démarrant à 10 % a été créé.</translation>
    </message>
    <message>
        <source>%1@%2 is the new champion.</source>
        <translation>%1@%2 est le nouveau champion.</translation>
    </message>
    <message>
        <source>%1@%2 is the challenger; the champion is unchanged.</source>
        <translation>%1@%2 est le challenger ; le champion est inchangé.</translation>
    </message>
    <message>
        <source>The candidate %1@%2 was discarded; the champion is unchanged.</source>
        <translation>Le candidat %1@%2 a été écarté ; le champion est inchangé.</translation>
    </message>
    <message>
        <source>Nothing changed: %1</source>
        <translation>Rien n’a changé : %1</translation>
    </message>
    <message>
        <source>Model checks: they could not run: %1</source>
        <translation>Contrôles du modèle : ils n’ont pas pu s’exécuter : %1</translation>
    </message>
    <message>
        <source>Model checks: %1</source>
        <translation>Contrôles du modèle : %1</translation>
    </message>
    <message>
        <source>The model checks refuse this candidate: %1</source>
        <translation>Les contrôles du modèle refusent ce candidat : %1</translation>
    </message>
    <message numerus="yes">
        <source>%n image(s) could not be used and were skipped: %1</source>
        <translation>
            <numerusform>%n image(s) inutilisable(s), ignorée(s) : %1</numerusform>
            <numerusform>%n image(s) inutilisable(s), ignorée(s) : %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DependencyIndicator</name>
    <message>
        <source>%1: unknown</source>
        <translation>%1 : inconnu</translation>
    </message>
    <message>
        <source>%1: fallback %2 min</source>
        <translation>%1 : mode dégradé %2 min</translation>
    </message>
    <message>
        <source>%1: down</source>
        <translation>%1 : indisponible</translation>
    </message>
    <message>
        <source>%1: degraded</source>
        <translation>%1 : dégradé</translation>
    </message>
    <message>
        <source>%1: up</source>
        <translation>%1 : disponible</translation>
    </message>
    <message>
        <source>fallback since %1</source>
        <translation>mode dégradé depuis %1</translation>
    </message>
    <message>
        <source>last error: %1</source>
        <translation>dernière erreur : %1</translation>
    </message>
    <message>
        <source>reported %1 s ago</source>
        <translation>rapporté il y a %1 s</translation>
    </message>
    <message>
        <source>&lt;b&gt;Backend dependencies&lt;/b&gt;&lt;br&gt;%1</source>
        <translation>&lt;b&gt;Dépendances du backend&lt;/b&gt;&lt;br&gt;%1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DependencyStrip</name>
    <message>
        <source>Backend dependencies: %1</source>
        <translation>Dépendances du backend : %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DeploymentsPage</name>
    <message>
        <source>Create a deployment before any traffic exists, describe it, archive it, and edit every setting of the one selected.</source>
        <translation>Créez un déploiement avant tout trafic, décrivez-le, archivez-le, et modifiez chaque réglage de celui qui est sélectionné.</translation>
    </message>
    <message>
        <source>New deployment…</source>
        <translation>Nouveau déploiement…</translation>
    </message>
    <message>
        <source>Archive…</source>
        <translation>Archiver…</translation>
    </message>
    <message>
        <source>Show archived</source>
        <translation>Afficher les archivés</translation>
    </message>
    <message>
        <source>⟳ Refresh</source>
        <translation>⟳ Actualiser</translation>
    </message>
    <message>
        <source>Read the deployments again</source>
        <translation>Relire les déploiements</translation>
    </message>
    <message>
        <source>No deployments yet</source>
        <translation>Aucun déploiement pour l’instant</translation>
    </message>
    <message>
        <source>A deployment is one model-backed feature, such as an arrival-time estimate. Create one with New deployment…: give it a name, its task and its features, then register a model for it on the Models page.</source>
        <translation>Un déploiement est une fonctionnalité appuyée sur un modèle, comme une estimation d’heure d’arrivée. Créez-en un avec Nouveau déploiement… : donnez-lui un nom, sa tâche et ses variables, puis enregistrez un modèle pour lui sur la page Modèles.</translation>
    </message>
    <message>
        <source>Archive %1</source>
        <translation>Archiver %1</translation>
    </message>
    <message>
        <source>Why archive %1? It disappears from the selectors and the guard; its history is kept.</source>
        <translation>Pourquoi archiver %1 ? Il disparaît des sélecteurs et de la garde ; son historique est conservé.</translation>
    </message>
    <message>
        <source>Cannot read the deployments: %1</source>
        <translation>Impossible de lire les déploiements : %1</translation>
    </message>
    <message>
        <source>%1 is archived: its settings are kept as they were and are no longer edited.</source>
        <translation>%1 est archivé : ses réglages restent tels qu’ils étaient et ne sont plus modifiés.</translation>
    </message>
    <message>
        <source>Create a deployment: name, task, features and drift reference</source>
        <translation>Créer un déploiement : nom, tâche, variables et référence de dérive</translation>
    </message>
    <message>
        <source>Hide the selected deployment from the selectors and the guard; its history is kept</source>
        <translation>Masquer le déploiement sélectionné des sélecteurs et de la garde ; son historique est conservé</translation>
    </message>
    <message>
        <source>Deployment %1 created. Register a model for it on the Models page; its flags are off until you enable them.</source>
        <translation>Déploiement %1 créé. Enregistrez un modèle pour lui sur la page Modèles ; ses drapeaux restent désactivés jusqu’à ce que vous les activiez.</translation>
    </message>
    <message>
        <source>%1 was not archived: say why (the reason goes into the audit log).</source>
        <translation>%1 n’a pas été archivé : dites pourquoi (la raison va dans le journal d’audit).</translation>
    </message>
    <message>
        <source>Deployment %1 archived: it no longer appears in the selectors and the guard skips it. Its history is kept.</source>
        <translation>Déploiement %1 archivé : il n’apparaît plus dans les sélecteurs et la garde l’ignore. Son historique est conservé.</translation>
    </message>
    <message>
        <source>Not archived: %1</source>
        <translation>Non archivé : %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DeploymentsTableModel</name>
    <message>
        <source>classification</source>
        <translation>classification</translation>
    </message>
    <message>
        <source>regression</source>
        <translation>régression</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Archived %1 by %2</source>
        <translation>Archivé le %1 par %2</translation>
    </message>
    <message>
        <source>archived</source>
        <translation>archivé</translation>
    </message>
    <message>
        <source>active</source>
        <translation>actif</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>Tâche</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Description</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Objectif</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créé le</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>%1, images</source>
        <translation>%1, images</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DesktopNotifier</name>
    <message>
        <source>MLDeck: critical alert on %1</source>
        <translation>MLDeck : alerte critique sur %1</translation>
    </message>
    <message>
        <source>MLDeck: alert on %1</source>
        <translation>MLDeck : alerte sur %1</translation>
    </message>
    <message>
        <source>MLDeck</source>
        <translation>MLDeck</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftCharts</name>
    <message>
        <source>Select a feature to compare its distributions</source>
        <translation>Sélectionnez une variable pour comparer ses distributions</translation>
    </message>
    <message>
        <source>Score over time</source>
        <translation>Score dans le temps</translation>
    </message>
    <message>
        <source>%1: reference vs current</source>
        <translation>%1 : référence / courant</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Référence</translation>
    </message>
    <message>
        <source>Current</source>
        <translation>Courant</translation>
    </message>
    <message>
        <source>% of rows</source>
        <translation>% des lignes</translation>
    </message>
    <message>
        <source>%1: no history yet (the guard records a score every check)</source>
        <translation>%1 : pas encore d’historique (la garde enregistre un score à chaque vérification)</translation>
    </message>
    <message>
        <source>%1: %2 over time</source>
        <translation>%1 : %2 dans le temps</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>Score</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>Seuil</translation>
    </message>
    <message>
        <source>%1: this window against the reference band</source>
        <translation>%1 : cette fenêtre face à la bande de référence</translation>
    </message>
    <message>
        <source>%1: no verdict, %2</source>
        <translation>%1 : pas de verdict, %2</translation>
    </message>
    <message>
        <source>error</source>
        <translation>erreur</translation>
    </message>
    <message>
        <source>band low</source>
        <translation>bas de bande</translation>
    </message>
    <message>
        <source>reference mean</source>
        <translation>moyenne de référence</translation>
    </message>
    <message>
        <source>band high</source>
        <translation>haut de bande</translation>
    </message>
    <message>
        <source>current</source>
        <translation>courante</translation>
    </message>
    <message>
        <source>%1: mean reconstruction error over time</source>
        <translation>%1 : erreur de reconstruction moyenne dans le temps</translation>
    </message>
    <message>
        <source>Mean reconstruction error</source>
        <translation>Erreur de reconstruction moyenne</translation>
    </message>
    <message>
        <source>Band high</source>
        <translation>Haut de bande</translation>
    </message>
    <message>
        <source>Band low</source>
        <translation>Bas de bande</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftFeatureTable</name>
    <message>
        <source>Watched feature</source>
        <translation>Variable surveillée</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Test</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>Seuil</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>automatique</translation>
    </message>
    <message>
        <source>default</source>
        <translation>par défaut</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftReferenceBar</name>
    <message>
        <source>Reference: %1</source>
        <translation>Référence : %1</translation>
    </message>
    <message>
        <source>Reference filling: %L1 of %L2 predictions logged. Drift is checked once the reference is full.</source>
        <translation>Référence en cours de remplissage : %L1 prédictions journalisées sur %L2. La dérive est vérifiée une fois la référence pleine.</translation>
    </message>
    <message>
        <source>Image statistics (brightness, contrast, width, height) computed by MLDeck from a sample of at most %L1 images per side: window %2; reference %3 (%4).</source>
        <translation>Statistiques d’images (luminosité, contraste, largeur, hauteur) calculées par MLDeck sur un échantillon d’au plus %L1 images de chaque côté : fenêtre %2 ; référence %3 (%4).</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source>&lt;p&gt;Unreadable images (not counted in the statistics):&lt;/p&gt;&lt;p&gt;%1&lt;/p&gt;</source>
        <translation>&lt;p&gt;Images illisibles (non comptées dans les statistiques) :&lt;/p&gt;&lt;p&gt;%1&lt;/p&gt;</translation>
    </message>
    <message numerus="yes">
        <source>Window read from %n hourly sketch(es) and %L1 raw rows: each score is known within the interval shown, and a verdict is made only when that interval is on one side of the threshold.</source>
        <translation>
            <numerusform>Fenêtre lue à partir de %n esquisse horaire et %L1 lignes brutes : chaque score est connu à l’intervalle affiché près, et un verdict n’est rendu que si cet intervalle est d’un seul côté du seuil.</numerusform>
            <numerusform>Fenêtre lue à partir de %n esquisses horaires et %L1 lignes brutes : chaque score est connu à l’intervalle affiché près, et un verdict n’est rendu que si cet intervalle est d’un seul côté du seuil.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftReferenceChooser</name>
    <message>
        <source>First logged predictions</source>
        <translation>Premières prédictions journalisées</translation>
    </message>
    <message>
        <source>A logged period</source>
        <translation>Une période journalisée</translation>
    </message>
    <message>
        <source>A stored snapshot</source>
        <translation>Un instantané enregistré</translation>
    </message>
    <message>
        <source>The champion&apos;s training window</source>
        <translation>La fenêtre d’entraînement du champion</translation>
    </message>
    <message>
        <source> predictions</source>
        <translation> prédictions</translation>
    </message>
    <message>
        <source>to</source>
        <translation>au</translation>
    </message>
    <message>
        <source>train_from to train_to of the champion model</source>
        <translation>de train_from à train_to du modèle champion</translation>
    </message>
    <message>
        <source>As stored: %1</source>
        <translation>Tel qu’enregistré : %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftSettingsEditor</name>
    <message>
        <source>Drift</source>
        <translation>Dérive</translation>
    </message>
    <message>
        <source>Windows</source>
        <translation>Fenêtres</translation>
    </message>
    <message>
        <source>Current window</source>
        <translation>Fenêtre courante</translation>
    </message>
    <message>
        <source>e.g. 10m</source>
        <translation>p. ex. 10m</translation>
    </message>
    <message>
        <source>Check interval</source>
        <translation>Intervalle de vérification</translation>
    </message>
    <message>
        <source>e.g. 1m</source>
        <translation>p. ex. 1m</translation>
    </message>
    <message>
        <source>Persistence (windows in a row)</source>
        <translation>Persistance (fenêtres d’affilée)</translation>
    </message>
    <message>
        <source>Minimum samples per side</source>
        <translation>Échantillons minimum par côté</translation>
    </message>
    <message>
        <source> rows</source>
        <translation> lignes</translation>
    </message>
    <message>
        <source>An alert fires after that many drifting windows in a row and resolves after as many clean ones.</source>
        <translation>Une alerte se déclenche après autant de fenêtres en dérive d’affilée et se résout après autant de fenêtres saines.</translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation>Seuils</translation>
    </message>
    <message>
        <source>p-value (KS, chi-square, z-test)</source>
        <translation>p-valeur (KS, khi-deux, test z)</translation>
    </message>
    <message>
        <source>Distance (Wasserstein, JS, PSI)</source>
        <translation>Distance (Wasserstein, JS, PSI)</translation>
    </message>
    <message>
        <source>Dataset share</source>
        <translation>Part du jeu de données</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Référence</translation>
    </message>
    <message>
        <source>Compare with</source>
        <translation>Comparer avec</translation>
    </message>
    <message>
        <source>Features</source>
        <translation>Variables</translation>
    </message>
    <message>
        <source>Per feature</source>
        <translation>Par variable</translation>
    </message>
    <message>
        <source>Multivariate drift</source>
        <translation>Dérive multivariée</translation>
    </message>
    <message>
        <source>PCA reconstruction error</source>
        <translation>Erreur de reconstruction de l’ACP</translation>
    </message>
    <message>
        <source>Share of variance kept</source>
        <translation>Part de variance gardée</translation>
    </message>
    <message>
        <source>Reference chunk size</source>
        <translation>Taille des tranches de référence</translation>
    </message>
    <message>
        <source>A PCA of the standardised reference features; a window drifts when its mean reconstruction error leaves the band of the reference chunks&apos; mean ± 3 standard deviations, narrowed to the window&apos;s row count. Chunk size 0: the window&apos;s rows, at most a tenth of the reference, at least the minimum samples.</source>
        <translation>Une ACP des variables standardisées de la référence ; une fenêtre dérive quand son erreur de reconstruction moyenne sort de la bande formée par la moyenne des tranches de référence ± 3 écarts-types, resserrée selon le nombre de lignes de la fenêtre. Taille de tranche 0 : les lignes de la fenêtre, au plus un dixième de la référence, au moins le minimum d’échantillons.</translation>
    </message>
    <message>
        <source>Images sampled per side</source>
        <translation>Images échantillonnées de chaque côté</translation>
    </message>
    <message>
        <source> images</source>
        <translation> images</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::DriftTableModel</name>
    <message>
        <source>Too few rows</source>
        <translation>Trop peu de lignes</translation>
    </message>
    <message>
        <source>Drift</source>
        <translation>Dérive</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Feature</source>
        <translation>Variable</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Test</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>Score</translation>
    </message>
    <message>
        <source>p-value</source>
        <translation>Valeur p</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>Seuil</translation>
    </message>
    <message>
        <source>Effect size</source>
        <translation>Taille d’effet</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Statut</translation>
    </message>
    <message>
        <source>Trend</source>
        <translation>Tendance</translation>
    </message>
    <message>
        <source>Mean reconstruction error of the window&apos;s rows by a PCA of the reference (%1 of %2 encoded inputs kept, %3 % of the variance); the band is the mean ± 3 standard deviations over %4 reference chunks of %5 rows.</source>
        <translation>Erreur de reconstruction moyenne des lignes de la fenêtre par une ACP de la référence (%1 sur %2 entrées encodées gardées, %3 % de la variance) ; la bande est la moyenne ± 3 écarts-types sur %4 tranches de référence de %5 lignes.</translation>
    </message>
    <message>
        <source>%1 to %2</source>
        <translation>%1 à %2</translation>
    </message>
    <message>
        <source>No verdict</source>
        <translation>Pas de verdict</translation>
    </message>
    <message>
        <source>An image statistic computed by MLDeck from a sample of the images (%L1 of the window, %L2 of the reference), not a logged feature.</source>
        <translation>Une statistique d’image calculée par MLDeck sur un échantillon des images (%L1 de la fenêtre, %L2 de la référence), pas une variable journalisée.</translation>
    </message>
    <message>
        <source>Computed from hourly sketches: the exact score is between %1 and %2</source>
        <translation>Calculé à partir des esquisses horaires : le score exact est compris entre %1 et %2</translation>
    </message>
    <message>
        <source>, the exact p-value between %1 and %2</source>
        <translation>, la p-valeur exacte entre %1 et %2</translation>
    </message>
    <message>
        <source> (CDF error at most %1 %).</source>
        <translation> (erreur sur la fonction de répartition d’au plus %1 %).</translation>
    </message>
    <message>
        <source>That interval straddles the threshold: no verdict for this window.</source>
        <translation>Cet intervalle chevauche le seuil : pas de verdict pour cette fenêtre.</translation>
    </message>
    <message>
        <source>%1 (%2–%3)</source>
        <translation>%1 (%2–%3)</translation>
    </message>
    <message>
        <source>Undecided</source>
        <translation>Indécis</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::EvaluationStep</name>
    <message>
        <source>Candidate</source>
        <translation>Candidat</translation>
    </message>
    <message>
        <source>Champion</source>
        <translation>Champion</translation>
    </message>
    <message>
        <source>Candidate − champion</source>
        <translation>Candidat − champion</translation>
    </message>
    <message>
        <source>Both models are scored on the same holdout rows, which the candidate never saw. Lower MAE and RMSE are better, higher R² is better.</source>
        <translation>Les deux modèles sont évalués sur les mêmes lignes de test, que le candidat n’a jamais vues. Une MAE et une RMSE plus basses sont meilleures, un R² plus élevé est meilleur.</translation>
    </message>
    <message>
        <source>No decision was recorded for this run.</source>
        <translation>Aucune décision n’a été enregistrée pour cette exécution.</translation>
    </message>
    <message>
        <source>Promote.</source>
        <translation>Promouvoir.</translation>
    </message>
    <message>
        <source>Do not promote.</source>
        <translation>Ne pas promouvoir.</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitude</translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation>Log-loss</translation>
    </message>
    <message>
        <source>Brier score</source>
        <translation>Score de Brier</translation>
    </message>
    <message>
        <source>Both models are scored on the same holdout rows, which the candidate never saw, with the deployment&apos;s decision rule. Higher accuracy is better, lower log-loss and Brier score are better.</source>
        <translation>Les deux modèles sont évalués sur les mêmes lignes de test, que le candidat n’a jamais vues, avec la règle de décision du déploiement. Une exactitude plus élevée est meilleure, une log-loss et un score de Brier plus bas sont meilleurs.</translation>
    </message>
    <message>
        <source>%1 points</source>
        <translation>%1 points</translation>
    </message>
    <message>
        <source>Accuracy difference (candidate − champion): %1 points, %2 % interval %3 … %4 points (%5 resamples).</source>
        <translation>Différence d’exactitude (candidat − champion) : %1 points, intervalle à %2 % %3 … %4 points (%5 rééchantillonnages).</translation>
    </message>
    <message>
        <source>%1 difference (candidate − champion): %2 (%3 %), %4 % interval %5 … %6 (%7 resamples).</source>
        <translation>Différence de %1 (candidat − champion) : %2 (%3 %), intervalle à %4 % %5 … %6 (%7 rééchantillonnages).</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::FeatureSchemaTable</name>
    <message>
        <source>Column</source>
        <translation>Colonne</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>Categories (comma-separated)</source>
        <translation>Catégories (séparées par des virgules)</translation>
    </message>
    <message>
        <source>Kind of %1</source>
        <translation>Nature de %1</translation>
    </message>
    <message>
        <source>numeric</source>
        <translation>numérique</translation>
    </message>
    <message>
        <source>categorical</source>
        <translation>catégorielle</translation>
    </message>
    <message>
        <source>not a feature</source>
        <translation>pas une variable</translation>
    </message>
    <message>
        <source>%1: list its categories, separated by commas.</source>
        <translation>%1 : listez ses catégories, séparées par des virgules.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::GeneralEditor</name>
    <message>
        <source>General</source>
        <translation>Général</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Description</translation>
    </message>
    <message>
        <source>What the model predicts, for whom</source>
        <translation>Ce que le modèle prédit, pour qui</translation>
    </message>
    <message>
        <source>Target name</source>
        <translation>Nom de la cible</translation>
    </message>
    <message>
        <source>e.g. delay</source>
        <translation>p. ex. retard</translation>
    </message>
    <message>
        <source>Target unit</source>
        <translation>Unité de la cible</translation>
    </message>
    <message>
        <source>e.g. min</source>
        <translation>p. ex. min</translation>
    </message>
    <message>
        <source>At most %1 characters.</source>
        <translation>%1 caractères au plus.</translation>
    </message>
    <message>
        <source>Decision threshold</source>
        <translation>Seuil de décision</translation>
    </message>
    <message>
        <source>Only a binary classification deployment has a decision threshold.</source>
        <translation>Seul un déploiement de classification binaire a un seuil de décision.</translation>
    </message>
    <message>
        <source>Binary classification: the positive class is served when its probability is at least this. Empty for any other deployment.</source>
        <translation>Classification binaire : la classe positive est servie quand sa probabilité atteint au moins cette valeur. Vide pour tout autre déploiement.</translation>
    </message>
    <message>
        <source>Between 0 and 1, both excluded.</source>
        <translation>Entre 0 et 1, bornes exclues.</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>Images</translation>
    </message>
    <message>
        <source>Image store</source>
        <translation>Stockage d’images</translation>
    </message>
    <message>
        <source>the folder the logged image keys resolve in</source>
        <translation>le dossier où se résolvent les clés d’image journalisées</translation>
    </message>
    <message>
        <source>Reference set</source>
        <translation>Jeu de référence</translation>
    </message>
    <message>
        <source>optional: one subfolder per class, added to retraining</source>
        <translation>facultatif : un sous-dossier par classe, ajouté au réentraînement</translation>
    </message>
    <message>
        <source>Holdout set</source>
        <translation>Jeu de test fixe</translation>
    </message>
    <message>
        <source>optional: one subfolder per class, never trained on</source>
        <translation>facultatif : un sous-dossier par classe, jamais utilisé pour l’entraînement</translation>
    </message>
    <message>
        <source>The stored image configuration cannot be read (%1). Give the folders again.</source>
        <translation>La configuration d’images enregistrée ne peut pas être lue (%1). Indiquez de nouveau les dossiers.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::GoldenDataDialog</name>
    <message>
        <source>Golden dataset</source>
        <translation>Jeu de données de référence</translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>Fichiers CSV (*.csv);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>(no segments)</source>
        <translation>(pas de segments)</translation>
    </message>
    <message>
        <source>Outcome column</source>
        <translation>Colonne du résultat</translation>
    </message>
    <message>
        <source>Segment column</source>
        <translation>Colonne des segments</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::GuardRulesEditor</name>
    <message>
        <source>Guard rules</source>
        <translation>Règles de la garde</translation>
    </message>
    <message>
        <source>Must be above 0.</source>
        <translation>Doit être supérieur à 0.</translation>
    </message>
    <message>
        <source>Must be from %1 to %2.</source>
        <translation>Doit être compris entre %1 et %2.</translation>
    </message>
    <message>
        <source>The guard acts on this deployment (off: it only watches)</source>
        <translation>La garde agit sur ce déploiement (désactivée : elle ne fait que surveiller)</translation>
    </message>
    <message>
        <source>Thresholds</source>
        <translation>Seuils</translation>
    </message>
    <message>
        <source>Error rate that turns ML off</source>
        <translation>Taux d’erreur qui désactive le ML</translation>
    </message>
    <message>
        <source>Must be a share above 0 and at most 1.</source>
        <translation>Doit être une part supérieure à 0 et d’au plus 1.</translation>
    </message>
    <message>
        <source>share, 0 to 1</source>
        <translation>part, de 0 à 1</translation>
    </message>
    <message>
        <source>Latency p95 that halves traffic</source>
        <translation>Latence p95 qui divise le trafic par deux</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>MAE that halves traffic</source>
        <translation>MAE qui divise le trafic par deux</translation>
    </message>
    <message>
        <source>minutes</source>
        <translation>minutes</translation>
    </message>
    <message>
        <source>Above the error rate the guard turns ML off (0 %); above the latency or the MAE it halves the ML percentage. After acting it waits for a person to re-arm it.</source>
        <translation>Au-dessus du taux d’erreur, la garde désactive le ML (0 %) ; au-dessus de la latence ou de la MAE, elle divise par deux le pourcentage ML. Après avoir agi, elle attend qu’une personne la réarme.</translation>
    </message>
    <message>
        <source>When it acts</source>
        <translation>Quand elle agit</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>Fenêtre</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>secondes</translation>
    </message>
    <message>
        <source>Minimum samples</source>
        <translation>Échantillons minimum</translation>
    </message>
    <message>
        <source>Must be at least 1.</source>
        <translation>Doit être au moins 1.</translation>
    </message>
    <message>
        <source>predictions</source>
        <translation>prédictions</translation>
    </message>
    <message>
        <source>Consecutive breaches before acting</source>
        <translation>Dépassements consécutifs avant d’agir</translation>
    </message>
    <message>
        <source>Evaluation interval</source>
        <translation>Intervalle d’évaluation</translation>
    </message>
    <message>
        <source>Breaches count as consecutive only when evaluations are at most three intervals apart.</source>
        <translation>Des dépassements ne comptent comme consécutifs que si les évaluations sont espacées d’au plus trois intervalles.</translation>
    </message>
    <message>
        <source>Saved. The guard applies the rules from its next round.</source>
        <translation>Enregistré. La garde applique les règles dès son tour suivant.</translation>
    </message>
    <message>
        <source>Must be a share from 0 to 1.</source>
        <translation>Doit être une part de 0 à 1.</translation>
    </message>
    <message>
        <source>Classifier: accuracy that turns ML off</source>
        <translation>Classifieur : exactitude qui désactive le ML</translation>
    </message>
    <message>
        <source>Classifier: accuracy that halves traffic</source>
        <translation>Classifieur : exactitude qui divise le trafic par deux</translation>
    </message>
    <message>
        <source>Classifier: log-loss that halves traffic</source>
        <translation>Classifieur : log-loss qui divise le trafic par deux</translation>
    </message>
    <message>
        <source>How conditions combine</source>
        <translation>Combinaison des conditions</translation>
    </message>
    <message>
        <source>ML off when</source>
        <translation>ML arrêté quand</translation>
    </message>
    <message>
        <source>any, all or at-least-N</source>
        <translation>any, all ou at-least-N</translation>
    </message>
    <message>
        <source>Traffic halved when</source>
        <translation>Trafic divisé par deux quand</translation>
    </message>
    <message>
        <source>Advisory conditions (reported, never acted on)</source>
        <translation>Conditions indicatives (signalées, sans action)</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a condition: %2.</source>
        <translation>« %1 » n’est pas une condition : %2.</translation>
    </message>
    <message>
        <source>e.g. max_latency_p95_ms</source>
        <translation>par exemple max_latency_p95_ms</translation>
    </message>
    <message>
        <source>Conditions that turn ML off: rollback_error_rate, rollback_accuracy; that halve traffic: max_latency_p95_ms, max_mae, min_accuracy, max_log_loss. &quot;any&quot; acts on one breaching condition.</source>
        <translation>Conditions qui arrêtent le ML : rollback_error_rate, rollback_accuracy ; qui divisent le trafic par deux : max_latency_p95_ms, max_mae, min_accuracy, max_log_loss. « any » agit sur une seule condition dépassée.</translation>
    </message>
    <message>
        <source>Hysteresis</source>
        <translation>Hystérésis</translation>
    </message>
    <message>
        <source>Must be from 0 to 86400.</source>
        <translation>Doit aller de 0 à 86400.</translation>
    </message>
    <message>
        <source>Error rate</source>
        <translation>Taux d’erreur</translation>
    </message>
    <message>
        <source>Classifier: accuracy (ML off)</source>
        <translation>Classifieur : exactitude (arrêt du ML)</translation>
    </message>
    <message>
        <source>Latency p95</source>
        <translation>Latence p95</translation>
    </message>
    <message>
        <source>MAE</source>
        <translation>MAE</translation>
    </message>
    <message>
        <source>Classifier: accuracy (halved)</source>
        <translation>Classifieur : exactitude (moitié)</translation>
    </message>
    <message>
        <source>Classifier: log-loss</source>
        <translation>Classifieur : log-loss</translation>
    </message>
    <message>
        <source>%1: resolves past</source>
        <translation>%1 : se résout au-delà de</translation>
    </message>
    <message>
        <source>%1: keeps firing for</source>
        <translation>%1 : reste déclenché pendant</translation>
    </message>
    <message>
        <source>Once breached, a condition keeps counting until its value has been past its resolve threshold (on the safe side of the firing one) for the keep-firing time.</source>
        <translation>Une fois dépassée, une condition continue de compter jusqu’à ce que sa valeur ait franchi son seuil de résolution (du côté sûr du seuil de déclenchement) pendant la durée de maintien.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::HealthIndicator</name>
    <message>
        <source>up</source>
        <translation>disponible</translation>
    </message>
    <message>
        <source>down</source>
        <translation>indisponible</translation>
    </message>
    <message>
        <source>connecting…</source>
        <translation>connexion…</translation>
    </message>
    <message>
        <source>not checked yet</source>
        <translation>pas encore vérifié</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1 : %2</translation>
    </message>
    <message>
        <source> — %1</source>
        <translation> — %1</translation>
    </message>
    <message>
        <source> — retry in %1 s</source>
        <translation> — nouvel essai dans %1 s</translation>
    </message>
    <message>
        <source> — retrying</source>
        <translation> — nouvel essai en cours</translation>
    </message>
    <message>
        <source>Server: %1</source>
        <translation>Serveur : %1</translation>
    </message>
    <message>
        <source>Details: %1</source>
        <translation>Détails : %1</translation>
    </message>
    <message>
        <source>In this state since %1</source>
        <translation>Dans cet état depuis %1</translation>
    </message>
    <message>
        <source>MLDeck reconnects automatically, waiting a little longer after each failure.</source>
        <translation>MLDeck se reconnecte automatiquement, en attendant un peu plus après chaque échec.</translation>
    </message>
    <message>
        <source>Master: %1</source>
        <translation>Maître : %1</translation>
    </message>
    <message>
        <source>Master: unknown (no sentinel answered)</source>
        <translation>Maître : inconnu (aucune sentinelle n’a répondu)</translation>
    </message>
    <message>
        <source>Sentinels: %1 of %2 reached, %3 known to them</source>
        <translation>Sentinelles : %1 sur %2 jointes, %3 connues d’elles</translation>
    </message>
    <message>
        <source>Replicas: none connected, changes are not confirmed by a replica</source>
        <translation>Réplicas : aucun connecté, les changements ne sont pas confirmés par un réplica</translation>
    </message>
    <message numerus="yes">
        <source>Replica %1: %2, %n byte(s) behind</source>
        <translation>
            <numerusform>Réplica %1 : %2, %n octet de retard</numerusform>
            <numerusform>Réplica %1 : %2, %n octets de retard</numerusform>
        </translation>
    </message>
    <message>
        <source>Problem: %1</source>
        <translation>Problème : %1</translation>
    </message>
    <message>
        <source>Master</source>
        <translation>Maître</translation>
    </message>
    <message>
        <source>unknown: no sentinel answered</source>
        <translation>inconnu : aucune sentinelle n’a répondu</translation>
    </message>
    <message>
        <source>Sentinels</source>
        <translation>Sentinelles</translation>
    </message>
    <message>
        <source>%1 of %2 reached, %3 known to them</source>
        <translation>%1 sur %2 jointes, %3 connues d’elles</translation>
    </message>
    <message>
        <source>Replicas</source>
        <translation>Réplicas</translation>
    </message>
    <message>
        <source>none connected: changes are not confirmed by a replica</source>
        <translation>aucun connecté : les changements ne sont pas confirmés par un réplica</translation>
    </message>
    <message>
        <source>Replica %1</source>
        <translation>Réplica %1</translation>
    </message>
    <message numerus="yes">
        <source>%1, %n byte(s) behind</source>
        <translation>
            <numerusform>%1, %n octet de retard</numerusform>
            <numerusform>%1, %n octets de retard</numerusform>
        </translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>Problème</translation>
    </message>
    <message>
        <source>%1 behind Sentinel</source>
        <translation>%1 derrière Sentinel</translation>
    </message>
    <message>
        <source>Updated at %1; asked again every %2 s and whenever the connection changes.</source>
        <translation>Mis à jour à %1 ; redemandé toutes les %2 s et à chaque changement de la connexion.</translation>
    </message>
    <message>
        <source>Click for the master, the sentinels and the replicas.</source>
        <translation>Cliquez pour voir le maître, les sentinelles et les réplicas.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ImageFolderChecks</name>
    <message>
        <source>The folder the logged image keys resolve in is required.</source>
        <translation>Le dossier où se résolvent les clés d’image journalisées est requis.</translation>
    </message>
    <message>
        <source>The holdout must be apart from the reference set: training never sees its images.</source>
        <translation>Le jeu de test fixe doit être distinct du jeu de référence : l’entraînement ne voit jamais ses images.</translation>
    </message>
    <message>
        <source>The holdout must be apart from the image store: training never sees its images.</source>
        <translation>Le jeu de test fixe doit être à l’écart du stockage d’images : l’entraînement ne voit jamais ses images.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ImageFolderField</name>
    <message>
        <source>Browse…</source>
        <translation>Parcourir…</translation>
    </message>
    <message>
        <source>Choose the folder</source>
        <translation>Choisir le dossier</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::InfoBar</name>
    <message>
        <source>Dismiss</source>
        <translation>Fermer</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::KpiBreakdownModel</name>
    <message>
        <source>Model version</source>
        <translation>Version du modèle</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>Voie</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(aucune)</translation>
    </message>
    <message>
        <source>ML</source>
        <translation>ML</translation>
    </message>
    <message>
        <source>Heuristic</source>
        <translation>Heuristique</translation>
    </message>
    <message>
        <source>Fallback</source>
        <translation>Repli</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>By</source>
        <translation>Par</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Predictions</source>
        <translation>Prédictions</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Débit</translation>
    </message>
    <message>
        <source>MAE</source>
        <translation>MAE</translation>
    </message>
    <message>
        <source>RMSE</source>
        <translation>RMSE</translation>
    </message>
    <message>
        <source>R²</source>
        <translation>R²</translation>
    </message>
    <message>
        <source>MAPE</source>
        <translation>MAPE</translation>
    </message>
    <message>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <source>p99</source>
        <translation>p99</translation>
    </message>
    <message>
        <source>Error rate</source>
        <translation>Taux d’erreur</translation>
    </message>
    <message>
        <source>Not trusted: %1</source>
        <translation>Non fiable : %1</translation>
    </message>
    <message>
        <source>%1 (not trusted)</source>
        <translation>%1 (non fiable)</translation>
    </message>
    <message>
        <source>Labelled</source>
        <translation>Étiquetées</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitude</translation>
    </message>
    <message>
        <source>F1</source>
        <translation>F1</translation>
    </message>
    <message>
        <source>Macro F1</source>
        <translation>F1 macro</translation>
    </message>
    <message>
        <source>ROC AUC</source>
        <translation>ROC AUC</translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation>Log-loss</translation>
    </message>
    <message>
        <source>ECE</source>
        <translation>ECE</translation>
    </message>
    <message>
        <source>Confidence</source>
        <translation>Confiance</translation>
    </message>
    <message>
        <source>Estimated accuracy</source>
        <translation>Exactitude estimée</translation>
    </message>
    <message>
        <source>Est. MAE</source>
        <translation>MAE est.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::KpiTargetsEditor</name>
    <message>
        <source>KPI targets</source>
        <translation>Cibles KPI</translation>
    </message>
    <message>
        <source>Must be above 0.</source>
        <translation>Doit être supérieur à 0.</translation>
    </message>
    <message>
        <source>Must be at most 1.</source>
        <translation>Doit être au plus 1.</translation>
    </message>
    <message>
        <source>Must be a share from 0 to 1.</source>
        <translation>Doit être une part de 0 à 1.</translation>
    </message>
    <message>
        <source>Targets</source>
        <translation>Cibles</translation>
    </message>
    <message>
        <source>MAE at most</source>
        <translation>MAE au plus</translation>
    </message>
    <message>
        <source>minutes</source>
        <translation>minutes</translation>
    </message>
    <message>
        <source>R² at least</source>
        <translation>R² au moins</translation>
    </message>
    <message>
        <source>Prediction time at most</source>
        <translation>Temps de prédiction au plus</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
    <message>
        <source>Error rate at most</source>
        <translation>Taux d’erreur au plus</translation>
    </message>
    <message>
        <source>share, 0 to 1</source>
        <translation>part, de 0 à 1</translation>
    </message>
    <message>
        <source>Uptime at least</source>
        <translation>Disponibilité au moins</translation>
    </message>
    <message>
        <source>Delays anticipated by</source>
        <translation>Retards anticipés de</translation>
    </message>
    <message>
        <source>Must be from 1 to %1 minutes.</source>
        <translation>Doit être de 1 à %1 minutes.</translation>
    </message>
    <message>
        <source>Stretch targets</source>
        <translation>Cibles ambitieuses</translation>
    </message>
    <message>
        <source>Stretch MAE</source>
        <translation>MAE ambitieuse</translation>
    </message>
    <message>
        <source>Stretch R²</source>
        <translation>R² ambitieux</translation>
    </message>
    <message>
        <source>The dashboard&apos;s tiles and charts compare every figure with these targets.</source>
        <translation>Les tuiles et graphiques du tableau de bord comparent chaque chiffre à ces cibles.</translation>
    </message>
    <message>
        <source>The stretch MAE must not be above the MAE target.</source>
        <translation>La MAE ambitieuse ne doit pas dépasser la cible de MAE.</translation>
    </message>
    <message>
        <source>The stretch R² must not be below the R² target.</source>
        <translation>Le R² ambitieux ne doit pas être inférieur à la cible de R².</translation>
    </message>
    <message>
        <source>Classification targets</source>
        <translation>Objectifs de classification</translation>
    </message>
    <message>
        <source>Accuracy at least</source>
        <translation>Exactitude au moins</translation>
    </message>
    <message>
        <source>F1 at least</source>
        <translation>F1 au moins</translation>
    </message>
    <message>
        <source>binary: the positive class; else macro</source>
        <translation>binaire : la classe positive ; sinon macro</translation>
    </message>
    <message>
        <source>ROC AUC at least</source>
        <translation>ROC AUC au moins</translation>
    </message>
    <message>
        <source>0 to 1</source>
        <translation>de 0 à 1</translation>
    </message>
    <message>
        <source>Log-loss at most</source>
        <translation>Log-loss au plus</translation>
    </message>
    <message>
        <source>Calibration error (ECE) at most</source>
        <translation>Erreur de calibration (ECE) au plus</translation>
    </message>
    <message>
        <source>Stretch accuracy</source>
        <translation>Exactitude ambitieuse</translation>
    </message>
    <message>
        <source>The stretch accuracy must not be below the accuracy target.</source>
        <translation>L’exactitude ambitieuse ne doit pas être inférieure à l’objectif d’exactitude.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::KpiTiles</name>
    <message>
        <source>%1 min</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>%1 /s</source>
        <translation>%1 /s</translation>
    </message>
    <message>
        <source>%1 /min</source>
        <translation>%1 /min</translation>
    </message>
    <message>
        <source>MAE</source>
        <translation>MAE</translation>
    </message>
    <message>
        <source>target &lt; %1 · stretch %2</source>
        <translation>objectif &lt; %1 · ambitieux %2</translation>
    </message>
    <message>
        <source>R²</source>
        <translation>R²</translation>
    </message>
    <message>
        <source>target &gt; %1 · stretch %2</source>
        <translation>objectif &gt; %1 · ambitieux %2</translation>
    </message>
    <message>
        <source>Latency p95</source>
        <translation>Latence p95</translation>
    </message>
    <message>
        <source>Error rate</source>
        <translation>Taux d’erreur</translation>
    </message>
    <message>
        <source>target &lt; %1 %</source>
        <translation>objectif &lt; %1 %</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Débit</translation>
    </message>
    <message>
        <source>Fallback share</source>
        <translation>Part de repli</translation>
    </message>
    <message>
        <source>of ML-routed requests</source>
        <translation>des requêtes envoyées au ML</translation>
    </message>
    <message>
        <source>ML vs heuristic</source>
        <translation>ML face à l’heuristique</translation>
    </message>
    <message>
        <source>MAE improvement over the heuristic</source>
        <translation>Gain de MAE par rapport à l’heuristique</translation>
    </message>
    <message>
        <source>Delays anticipated</source>
        <translation>Retards anticipés</translation>
    </message>
    <message numerus="yes">
        <source>delays ≥ %n min predicted ≥ %n min</source>
        <translation>
            <numerusform>retards ≥ %n min prédits ≥ %n min</numerusform>
            <numerusform>retards ≥ %n min prédits ≥ %n min</numerusform>
        </translation>
    </message>
    <message>
        <source>Satisfaction</source>
        <translation>Satisfaction</translation>
    </message>
    <message>
        <source>positive feedback</source>
        <translation>retours positifs</translation>
    </message>
    <message>
        <source>ML uptime</source>
        <translation>Disponibilité du ML</translation>
    </message>
    <message>
        <source>target &gt; %1 %</source>
        <translation>objectif &gt; %1 %</translation>
    </message>
    <message>
        <source>→ as in the previous period</source>
        <translation>→ comme sur la période précédente</translation>
    </message>
    <message>
        <source>%1 %2 vs previous period</source>
        <translation>%1 %2 par rapport à la période précédente</translation>
    </message>
    <message>
        <source>no previous period</source>
        <translation>pas de période précédente</translation>
    </message>
    <message>
        <source>p50 %1 · p99 %2 · target &lt; %3</source>
        <translation>p50 %1 · p99 %2 · objectif &lt; %3</translation>
    </message>
    <message>
        <source>target &lt; %1</source>
        <translation>objectif &lt; %1</translation>
    </message>
    <message>
        <source>ML %1 · heuristic %2</source>
        <translation>ML %1 · heuristique %2</translation>
    </message>
    <message numerus="yes">
        <source>%n predictions</source>
        <translation>
            <numerusform>%n prédiction</numerusform>
            <numerusform>%n prédictions</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 pts</source>
        <translation>%1 pts</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitude</translation>
    </message>
    <message>
        <source>target ≥ %1 % · stretch %2 %</source>
        <translation>objectif ≥ %1 % · ambitieux %2 %</translation>
    </message>
    <message>
        <source>F1 (%1)</source>
        <translation>F1 (%1)</translation>
    </message>
    <message>
        <source>F1 (macro)</source>
        <translation>F1 (macro)</translation>
    </message>
    <message>
        <source>target ≥ %1</source>
        <translation>objectif ≥ %1</translation>
    </message>
    <message>
        <source>ROC AUC</source>
        <translation>ROC AUC</translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation>Log-loss</translation>
    </message>
    <message>
        <source>target ≤ %1</source>
        <translation>objectif ≤ %1</translation>
    </message>
    <message>
        <source>Calibration error (ECE)</source>
        <translation>Erreur de calibration (ECE)</translation>
    </message>
    <message>
        <source>target ≤ %1 %</source>
        <translation>objectif ≤ %1 %</translation>
    </message>
    <message>
        <source>accuracy points over the heuristic</source>
        <translation>points d’exactitude de plus que l’heuristique</translation>
    </message>
    <message>
        <source>Estimated accuracy</source>
        <translation>Exactitude estimée</translation>
    </message>
    <message>
        <source>Mean confidence</source>
        <translation>Confiance moyenne</translation>
    </message>
    <message>
        <source>probability of the class served</source>
        <translation>probabilité de la classe servie</translation>
    </message>
    <message>
        <source>Positive rate</source>
        <translation>Taux de positifs</translation>
    </message>
    <message>
        <source>served as &quot;%1&quot;</source>
        <translation>servi comme « %1 »</translation>
    </message>
    <message>
        <source>binary deployments only</source>
        <translation>déploiements binaires seulement</translation>
    </message>
    <message>
        <source>Label coverage</source>
        <translation>Couverture des étiquettes</translation>
    </message>
    <message>
        <source>± %1 (histogram bound) · </source>
        <translation>± %1 (borne de l’histogramme) · </translation>
    </message>
    <message numerus="yes">
        <source>%n labelled predictions</source>
        <translation>
            <numerusform>%n prédiction étiquetée</numerusform>
            <numerusform>%n prédictions étiquetées</numerusform>
        </translation>
    </message>
    <message>
        <source>not trusted (the tooltip says why)</source>
        <translation>non fiable (l’infobulle dit pourquoi)</translation>
    </message>
    <message>
        <source>Not trusted: %1</source>
        <translation>Non fiable : %1</translation>
    </message>
    <message>
        <source>isotonic calibration</source>
        <translation>calibration isotonique</translation>
    </message>
    <message>
        <source>binned calibration</source>
        <translation>calibration par intervalles</translation>
    </message>
    <message>
        <source>the model&apos;s own probabilities</source>
        <translation>les probabilités propres du modèle</translation>
    </message>
    <message>
        <source>before labels, from %1</source>
        <translation>avant étiquettes, d’après %1</translation>
    </message>
    <message>
        <source>Estimated MAE</source>
        <translation>MAE estimée</translation>
    </message>
    <message numerus="yes">
        <source>before outcomes, %n ML predictions scored</source>
        <translation>
            <numerusform>avant les résultats réels, %n prédiction ML évaluée</numerusform>
            <numerusform>avant les résultats réels, %n prédictions ML évaluées</numerusform>
        </translation>
    </message>
    <message>
        <source>no nanny model has scored this range</source>
        <translation>aucun modèle nanny n’a évalué cette période</translation>
    </message>
    <message>
        <source>The MAE the deployment&apos;s nanny model expects from the ML predictions it scored, outcomes or not: read it next to the realised MAE while outcomes are late.</source>
        <translation>La MAE que le modèle nanny du déploiement attend des prédictions ML qu’il a évaluées, avec ou sans résultat réel : lisez-la à côté de la MAE réalisée tant que les résultats réels tardent.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::LossChart</name>
    <message>
        <source>Loss per epoch (mean squared error, scaled target)</source>
        <translation>Perte par époque (erreur quadratique moyenne, cible normalisée)</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Entraînement</translation>
    </message>
    <message>
        <source>Validation</source>
        <translation>Validation</translation>
    </message>
    <message>
        <source>Epoch</source>
        <translation>Époque</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>Perte</translation>
    </message>
    <message>
        <source>Loss per epoch (cross-entropy)</source>
        <translation>Perte par époque (entropie croisée)</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::MainWindow</name>
    <message>
        <source>Enter passwords…</source>
        <translation>Saisir les mots de passe…</translation>
    </message>
    <message>
        <source>Connect…</source>
        <translation>Connexion…</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Connect…</source>
        <translation>&amp;Connexion…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>&amp;Réglages</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Langue</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Langue du système</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Aid&amp;e</translation>
    </message>
    <message>
        <source>&amp;About MLDeck</source>
        <translation>À &amp;propos de MLDeck</translation>
    </message>
    <message>
        <source>Profile: %1</source>
        <translation>Profil : %1</translation>
    </message>
    <message>
        <source>Redis %1
PostgreSQL %2 (database %3)</source>
        <translation>Redis %1
PostgreSQL %2 (base %3)</translation>
    </message>
    <message>
        <source>The language will change the next time MLDeck starts.</source>
        <translation>La langue changera au prochain démarrage de MLDeck.</translation>
    </message>
    <message>
        <source>About MLDeck</source>
        <translation>À propos de MLDeck</translation>
    </message>
    <message>
        <source>A control room for a machine-learning model in production: rollout flags, KPIs, drift, retraining and an audit trail, on the same Redis and PostgreSQL as the serving backend.&lt;br&gt;&lt;br&gt;Built with Qt %1.</source>
        <translation>Une salle de contrôle pour un modèle d’apprentissage automatique en production : drapeaux de déploiement, indicateurs, dérive, réentraînement et piste d’audit, sur les mêmes Redis et PostgreSQL que le backend de production.&lt;br&gt;&lt;br&gt;Construit avec Qt %1.</translation>
    </message>
    <message>
        <source>The passwords could not be read from the system keychain: %1. Enter them for this session; they stay in memory only.</source>
        <translation>Les mots de passe n’ont pas pu être lus depuis le trousseau du système : %1. Saisissez-les pour cette session ; ils restent en mémoire seulement.</translation>
    </message>
    <message>
        <source>PostgreSQL user %1, MLDeck role %2. Actions this role may not take are disabled.</source>
        <translation>Utilisateur PostgreSQL %1, rôle MLDeck %2. Les actions que ce rôle ne peut pas effectuer sont désactivées.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::MisclassifiedImages</name>
    <message>
        <source>Most confident first</source>
        <translation>Les plus confiantes d’abord</translation>
    </message>
    <message>
        <source>Least confident first</source>
        <translation>Les moins confiantes d’abord</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Skipped image</source>
        <translation>Image écartée</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Raison</translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n image(s) misclassified; %2 skipped.</source>
        <translation>
            <numerusform>%1 image sur %n mal classée ; %2 ignorées.</numerusform>
            <numerusform>%1 images sur %n mal classées ; %2 ignorées.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>mldeck::ui::MisclassifiedModel</name>
    <message>
        <source>true: %1
predicted: %2 (%3)</source>
        <translation>vraie : %1
prédite : %2 (%3)</translation>
    </message>
    <message>
        <source>%1
cannot be read: %2</source>
        <translation>%1
illisible : %2</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ModelVersionTableModel</name>
    <message>
        <source>SHA-256 %1</source>
        <translation>SHA-256 %1</translation>
    </message>
    <message>
        <source>archived</source>
        <translation>archivé</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>Tâche</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créé le</translation>
    </message>
    <message>
        <source>MAE</source>
        <translation>MAE</translation>
    </message>
    <message>
        <source>R²</source>
        <translation>R²</translation>
    </message>
    <message>
        <source>Aliases</source>
        <translation>Alias</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitude</translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation>Log-loss</translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation>échec : %1</translation>
    </message>
    <message>
        <source>not run</source>
        <translation>non exécutés</translation>
    </message>
    <message>
        <source>not compared with the champion</source>
        <translation>non comparé au champion</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>réussis</translation>
    </message>
    <message numerus="yes">
        <source>passed, %n without data</source>
        <translation>
            <numerusform>réussi, %n sans données</numerusform>
            <numerusform>réussi, %n sans données</numerusform>
        </translation>
    </message>
    <message>
        <source>Checks</source>
        <translation>Contrôles</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ModelsPage</name>
    <message>
        <source>Registry</source>
        <translation>Registre</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Comparer</translation>
    </message>
    <message>
        <source>Register model versions, promote or restore a champion, and compare models offline on the same rows.</source>
        <translation>Enregistrer des versions de modèle, promouvoir ou restaurer un champion, et comparer des modèles hors ligne sur les mêmes lignes.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::NannyQualityPanel</name>
    <message>
        <source>Estimated vs realised MAE (nanny model)</source>
        <translation>MAE estimée et MAE réalisée (modèle nanny)</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>Exporter en CSV…</translation>
    </message>
    <message>
        <source>Hour</source>
        <translation>Heure</translation>
    </message>
    <message>
        <source>Scored</source>
        <translation>Évaluées</translation>
    </message>
    <message>
        <source>Estimated MAE</source>
        <translation>MAE estimée</translation>
    </message>
    <message>
        <source>With outcome</source>
        <translation>Avec résultat réel</translation>
    </message>
    <message>
        <source>Realised MAE</source>
        <translation>MAE réalisée</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>Différence</translation>
    </message>
    <message>
        <source>Export the estimate&apos;s quality</source>
        <translation>Exporter la qualité de l’estimation</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Fichiers CSV (*.csv)</translation>
    </message>
    <message>
        <source>No hour of the range has both estimates and outcomes yet.</source>
        <translation>Aucune heure de la période n’a encore à la fois des estimations et des résultats réels.</translation>
    </message>
    <message>
        <source>The estimate&apos;s quality could not be read: %1</source>
        <translation>Impossible de lire la qualité de l’estimation : %1</translation>
    </message>
    <message numerus="yes">
        <source>Over %n hour(s) with outcomes: mean absolute difference %1, correlation %2.</source>
        <translation>
            <numerusform>Sur %n heure avec résultats réels : écart absolu moyen %1, corrélation %2.</numerusform>
            <numerusform>Sur %n heures avec résultats réels : écart absolu moyen %1, corrélation %2.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Over %n hour(s) with outcomes: mean absolute difference %1 (a correlation needs 3 hours or more with varying MAE).</source>
        <translation>
            <numerusform>Sur %n heure avec résultats réels : écart absolu moyen %1 (une corrélation demande au moins 3 heures de MAE variable).</numerusform>
            <numerusform>Sur %n heures avec résultats réels : écart absolu moyen %1 (une corrélation demande au moins 3 heures de MAE variable).</numerusform>
        </translation>
    </message>
    <message>
        <source>Wrote %1.</source>
        <translation>%1 écrit.</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::NewDeploymentDialog</name>
    <message>
        <source>New deployment</source>
        <translation>Nouveau déploiement</translation>
    </message>
    <message>
        <source>e.g. eta-express</source>
        <translation>p. ex. eta-express</translation>
    </message>
    <message>
        <source>Regression (a number, e.g. a delay)</source>
        <translation>Régression (un nombre, p. ex. un retard)</translation>
    </message>
    <message>
        <source>Classification (a class, e.g. late or on time)</source>
        <translation>Classification (une classe, p. ex. en retard ou à l’heure)</translation>
    </message>
    <message>
        <source>What the model predicts, for whom</source>
        <translation>Ce que le modèle prédit, pour qui</translation>
    </message>
    <message>
        <source>e.g. delay</source>
        <translation>p. ex. retard</translation>
    </message>
    <message>
        <source>e.g. min</source>
        <translation>p. ex. min</translation>
    </message>
    <message>
        <source>From a model file…</source>
        <translation>Depuis un fichier de modèle…</translation>
    </message>
    <message>
        <source>Read the features from a TorchScript model&apos;s mldeck.json metadata</source>
        <translation>Lire les variables dans les métadonnées mldeck.json d’un modèle TorchScript</translation>
    </message>
    <message>
        <source>From a CSV header…</source>
        <translation>Depuis un en-tête CSV…</translation>
    </message>
    <message>
        <source>Take the columns of a CSV file; choose the kind of each</source>
        <translation>Prendre les colonnes d’un fichier CSV ; choisissez la nature de chacune</translation>
    </message>
    <message>
        <source>No features yet: the first model registered or the first row logged gives them.</source>
        <translation>Pas encore de variables : le premier modèle enregistré ou la première ligne journalisée les donne.</translation>
    </message>
    <message>
        <source> predictions</source>
        <translation> prédictions</translation>
    </message>
    <message>
        <source>the first</source>
        <translation>les premières</translation>
    </message>
    <message>
        <source>logged</source>
        <translation>journalisées</translation>
    </message>
    <message>
        <source>Drift compares recent predictions with this reference. Until that many predictions are logged, the drift page says how full the reference is.</source>
        <translation>La dérive compare les prédictions récentes à cette référence. Tant que ce nombre de prédictions n’est pas journalisé, la page de dérive indique le remplissage de la référence.</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Nom :</translation>
    </message>
    <message>
        <source>&amp;Task:</source>
        <translation>&amp;Tâche :</translation>
    </message>
    <message>
        <source>&amp;Description:</source>
        <translation>&amp;Description :</translation>
    </message>
    <message>
        <source>Target &amp;name:</source>
        <translation>&amp;Nom de la cible :</translation>
    </message>
    <message>
        <source>Target &amp;unit:</source>
        <translation>&amp;Unité de la cible :</translation>
    </message>
    <message>
        <source>Features:</source>
        <translation>Variables :</translation>
    </message>
    <message>
        <source>Drift reference:</source>
        <translation>Référence de dérive :</translation>
    </message>
    <message>
        <source>Create</source>
        <translation>Créer</translation>
    </message>
    <message>
        <source>Features from a model file</source>
        <translation>Variables depuis un fichier de modèle</translation>
    </message>
    <message>
        <source>TorchScript models (*.pt *.pth *.ptl);;All files (*)</source>
        <translation>Modèles TorchScript (*.pt *.pth *.ptl);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Features from a CSV header</source>
        <translation>Variables depuis un en-tête CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>Fichiers CSV (*.csv);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>A name is required.</source>
        <translation>Un nom est requis.</translation>
    </message>
    <message>
        <source>Start with a lower-case letter, then use lower-case letters, digits, &apos;-&apos; or &apos;_&apos; (at most 63 characters): the name goes into Redis keys.</source>
        <translation>Commencez par une lettre minuscule, puis utilisez des lettres minuscules, des chiffres, « - » ou « _ » (63 caractères au plus) : le nom entre dans les clés Redis.</translation>
    </message>
    <message>
        <source>A deployment named %1 already exists (archived ones keep their name).</source>
        <translation>Un déploiement nommé %1 existe déjà (les archivés gardent leur nom).</translation>
    </message>
    <message>
        <source>Reading the metadata of %1…</source>
        <translation>Lecture des métadonnées de %1…</translation>
    </message>
    <message>
        <source>Reading the columns of %1…</source>
        <translation>Lecture des colonnes de %1…</translation>
    </message>
    <message>
        <source>The features could not be read; the table keeps what it had.</source>
        <translation>Les variables n’ont pas pu être lues ; le tableau garde ce qu’il avait.</translation>
    </message>
    <message>
        <source>The columns of %1. Kinds and categories come from its first %2 rows: check them.</source>
        <translation>Les colonnes de %1. Les natures et catégories viennent de ses %2 premières lignes : vérifiez-les.</translation>
    </message>
    <message>
        <source>The features of %1, from its metadata.</source>
        <translation>Les variables de %1, d’après ses métadonnées.</translation>
    </message>
    <message>
        <source>The deployment was not created: %1</source>
        <translation>Le déploiement n’a pas été créé : %1</translation>
    </message>
    <message>
        <source>e.g. declined, accepted (in the order of the model&apos;s output)</source>
        <translation>p. ex. declined, accepted (dans l’ordre de la sortie du modèle)</translation>
    </message>
    <message>
        <source>Two classes: the second (positive) class is served when its probability is at least this. More classes: the most probable is served.</source>
        <translation>Deux classes : la seconde classe (positive) est servie quand sa probabilité atteint au moins cette valeur. Plus de classes : la plus probable est servie.</translation>
    </message>
    <message>
        <source>decision threshold</source>
        <translation>seuil de décision</translation>
    </message>
    <message>
        <source>C&amp;lasses:</source>
        <translation>C&amp;lasses :</translation>
    </message>
    <message>
        <source>A classifier needs its classes, in the order of the model&apos;s output (e.g. declined, accepted).</source>
        <translation>Un classifieur demande ses classes, dans l’ordre de la sortie du modèle (p. ex. declined, accepted).</translation>
    </message>
    <message>
        <source>Tabular features (a row of values)</source>
        <translation>Variables tabulaires (une ligne de valeurs)</translation>
    </message>
    <message>
        <source>Image (a classifier of images)</source>
        <translation>Image (un classifieur d’images)</translation>
    </message>
    <message>
        <source>An image deployment logs a key per image; its image store maps keys to files. Images are never copied into PostgreSQL.</source>
        <translation>Un déploiement d’images journalise une clé par image ; son stockage d’images associe les clés aux fichiers. Les images ne sont jamais copiées dans PostgreSQL.</translation>
    </message>
    <message>
        <source>Read the classes from an image model&apos;s mldeck.json metadata</source>
        <translation>Lire les classes dans les métadonnées mldeck.json d’un modèle d’images</translation>
    </message>
    <message>
        <source>Image store folder</source>
        <translation>Dossier du stockage d’images</translation>
    </message>
    <message>
        <source>/data/images: the logged keys resolve here</source>
        <translation>/data/images : les clés journalisées se résolvent ici</translation>
    </message>
    <message>
        <source>Reference training set</source>
        <translation>Jeu d’entraînement de référence</translation>
    </message>
    <message>
        <source>optional: one subfolder per class, added to retraining</source>
        <translation>facultatif : un sous-dossier par classe, ajouté au réentraînement</translation>
    </message>
    <message>
        <source>Holdout set</source>
        <translation>Jeu de test fixe</translation>
    </message>
    <message>
        <source>optional: one subfolder per class, never trained on</source>
        <translation>facultatif : un sous-dossier par classe, jamais utilisé pour l’entraînement</translation>
    </message>
    <message>
        <source>&amp;Input:</source>
        <translation>&amp;Entrée :</translation>
    </message>
    <message>
        <source>Image &amp;store:</source>
        <translation>&amp;Stockage d’images :</translation>
    </message>
    <message>
        <source>&amp;Reference set:</source>
        <translation>Jeu de &amp;référence :</translation>
    </message>
    <message>
        <source>&amp;Holdout set:</source>
        <translation>Jeu de &amp;test fixe :</translation>
    </message>
    <message>
        <source>%1 takes images; its classes are filled in.</source>
        <translation>%1 prend des images ; ses classes sont remplies.</translation>
    </message>
    <message>
        <source>Classification (the class of each image)</source>
        <translation>Classification (la classe de chaque image)</translation>
    </message>
    <message>
        <source>e.g. digit</source>
        <translation>p. ex. chiffre</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::PageFrame</name>
    <message>
        <source>Deployment:</source>
        <translation>Déploiement :</translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation>Déploiement</translation>
    </message>
    <message>
        <source>⟳ Refresh</source>
        <translation>⟳ Actualiser</translation>
    </message>
    <message>
        <source>Read the deployments and this page&apos;s figures again</source>
        <translation>Relire les déploiements et les chiffres de cette page</translation>
    </message>
    <message>
        <source>Manage…</source>
        <translation>Gérer…</translation>
    </message>
    <message>
        <source>Create, describe or archive deployments and edit their settings</source>
        <translation>Créer, décrire ou archiver des déploiements et modifier leurs réglages</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::Pages</name>
    <message>
        <source>Dashboard</source>
        <translation>Tableau de bord</translation>
    </message>
    <message>
        <source>Rollout</source>
        <translation>Déploiement</translation>
    </message>
    <message>
        <source>Alerts &amp; Drift</source>
        <translation>Alertes et dérive</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modèles</translation>
    </message>
    <message>
        <source>Retrain</source>
        <translation>Réentraînement</translation>
    </message>
    <message>
        <source>Audit</source>
        <translation>Audit</translation>
    </message>
    <message>
        <source>Deployments</source>
        <translation>Déploiements</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::PercentageControl</name>
    <message>
        <source>ML traffic percentage</source>
        <translation>Pourcentage de trafic ML</translation>
    </message>
    <message>
        <source>invalid</source>
        <translation>non valide</translation>
    </message>
    <message>
        <source> %</source>
        <translation> %</translation>
    </message>
    <message>
        <source>Type a value and press Enter to apply it.</source>
        <translation>Saisissez une valeur et appuyez sur Entrée pour l’appliquer.</translation>
    </message>
    <message>
        <source>Presets:</source>
        <translation>Préréglages :</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>Send %1 % of traffic to the model</source>
        <translation>Envoyer %1 % du trafic au modèle</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::PlanGatesEditor</name>
    <message>
        <source>How the gates combine</source>
        <translation>Combinaison des critères</translation>
    </message>
    <message>
        <source>The plan&apos;s combination applies to every step that has none of its own.</source>
        <translation>La combinaison du plan s’applique à chaque étape qui n’a pas la sienne.</translation>
    </message>
    <message>
        <source>Own combination</source>
        <translation>Combinaison propre</translation>
    </message>
    <message>
        <source>This step combines its gates its own way instead of the plan&apos;s.</source>
        <translation>Cette étape combine ses critères à sa façon plutôt qu’à celle du plan.</translation>
    </message>
    <message>
        <source>For:</source>
        <translation>Pour :</translation>
    </message>
    <message>
        <source>All of the gates</source>
        <translation>Tous les critères</translation>
    </message>
    <message>
        <source>Any of the gates</source>
        <translation>L’un des critères</translation>
    </message>
    <message>
        <source>At least N of the gates</source>
        <translation>Au moins N critères</translation>
    </message>
    <message>
        <source>N = </source>
        <translation>N = </translation>
    </message>
    <message>
        <source>Must pass:</source>
        <translation>Doivent être satisfaits :</translation>
    </message>
    <message>
        <source>Advisory (shown, never decide):</source>
        <translation>Indicatifs (affichés, ne décident jamais) :</translation>
    </message>
    <message>
        <source>Save gates</source>
        <translation>Enregistrer les critères</translation>
    </message>
    <message>
        <source>Every step (the plan)</source>
        <translation>Chaque étape (le plan)</translation>
    </message>
    <message>
        <source>The gates combination could not be read: %1</source>
        <translation>Impossible de lire la combinaison des critères : %1</translation>
    </message>
    <message>
        <source>Step %1 %</source>
        <translation>Étape %1 %</translation>
    </message>
    <message>
        <source>Gates combination saved.</source>
        <translation>Combinaison des critères enregistrée.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Non enregistré : %1</translation>
    </message>
    <message>
        <source>Choose a deployment to edit how its gates combine.</source>
        <translation>Choisissez un déploiement pour modifier la combinaison de ses critères.</translation>
    </message>
    <message>
        <source>Samples and soak time always decide; of the other gates, %1 must pass.</source>
        <translation>Les échantillons et la durée d’observation décident toujours ; parmi les autres critères, %1 doivent être satisfaits.</translation>
    </message>
    <message>
        <source>This step uses the plan&apos;s combination. %1</source>
        <translation>Cette étape suit la combinaison du plan. %1</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Enregistrement…</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::PlanPanel</name>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>Samples ≥</source>
        <translation>Échantillons ≥</translation>
    </message>
    <message>
        <source>Soak time ≥</source>
        <translation>Durée d’observation ≥</translation>
    </message>
    <message>
        <source>MAE (min) ≤</source>
        <translation>MAE (min) ≤</translation>
    </message>
    <message>
        <source>R² ≥</source>
        <translation>R² ≥</translation>
    </message>
    <message>
        <source>Latency p95 ≤</source>
        <translation>Latence p95 ≤</translation>
    </message>
    <message>
        <source>Error rate ≤</source>
        <translation>Taux d’erreur ≤</translation>
    </message>
    <message>
        <source>Staged rollout plan</source>
        <translation>Plan de déploiement par étapes</translation>
    </message>
    <message>
        <source>e.g. 10, 25, 50, 100</source>
        <translation>par ex. 10, 25, 50, 100</translation>
    </message>
    <message>
        <source>Percentages of the steps, increasing, up to 100.</source>
        <translation>Pourcentages des étapes, croissants, jusqu’à 100.</translation>
    </message>
    <message>
        <source>Save steps</source>
        <translation>Enregistrer</translation>
    </message>
    <message>
        <source>Steps (%):</source>
        <translation>Étapes (%) :</translation>
    </message>
    <message>
        <source>Gate</source>
        <translation>Critère</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>Seuil</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Statut</translation>
    </message>
    <message>
        <source>No gates apply before the first step: Advance starts the plan.</source>
        <translation>Aucun critère ne s’applique avant la première étape : Avancer démarre le plan.</translation>
    </message>
    <message>
        <source>Advance</source>
        <translation>Avancer</translation>
    </message>
    <message>
        <source>Reason to advance although a gate fails</source>
        <translation>Motif pour passer outre un critère</translation>
    </message>
    <message>
        <source>Override…</source>
        <translation>Déroger…</translation>
    </message>
    <message>
        <source>Advance to the next step although gates fail. Needs a reason; it is audited.</source>
        <translation>Passer à l’étape suivante bien que des critères ne soient pas satisfaits. Demande un motif ; c’est audité.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Enregistrement…</translation>
    </message>
    <message>
        <source>Choose a deployment to see its plan.</source>
        <translation>Choisissez un déploiement pour voir son plan.</translation>
    </message>
    <message>
        <source>▶ %1 %</source>
        <translation>▶ %1 %</translation>
    </message>
    <message>
        <source>✓ %1 %</source>
        <translation>✓ %1 %</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>Not started: Advance moves traffic to the first step.</source>
        <translation>Pas commencé : Avancer envoie le trafic à la première étape.</translation>
    </message>
    <message>
        <source> since %1 (%2 h %3 min)</source>
        <translation> depuis le %1 (%2 h %3 min)</translation>
    </message>
    <message>
        <source>On step %1 of %2 (%3 %)%4.</source>
        <translation>À l’étape %1 sur %2 (%3 %)%4.</translation>
    </message>
    <message>
        <source>Advance to %1 %</source>
        <translation>Avancer à %1 %</translation>
    </message>
    <message>
        <source>Plan complete</source>
        <translation>Plan terminé</translation>
    </message>
    <message>
        <source>The last step is reached.</source>
        <translation>La dernière étape est atteinte.</translation>
    </message>
    <message>
        <source>Pass</source>
        <translation>Satisfait</translation>
    </message>
    <message>
        <source>Fail</source>
        <translation>Non satisfait</translation>
    </message>
    <message>
        <source>Plan not loaded: %1</source>
        <translation>Plan non chargé : %1</translation>
    </message>
    <message>
        <source>Steps saved.</source>
        <translation>Étapes enregistrées.</translation>
    </message>
    <message>
        <source>Not advanced: %1</source>
        <translation>Pas d’avancée : %1</translation>
    </message>
    <message>
        <source>Accuracy ≥</source>
        <translation>Exactitude ≥</translation>
    </message>
    <message>
        <source>F1 ≥</source>
        <translation>F1 ≥</translation>
    </message>
    <message>
        <source>Log-loss ≤</source>
        <translation>Log-loss ≤</translation>
    </message>
    <message>
        <source>Calibration error (ECE) ≤</source>
        <translation>Erreur de calibration (ECE) ≤</translation>
    </message>
    <message>
        <source>Estimated MAE (min) ≤</source>
        <translation>MAE estimée (min) ≤</translation>
    </message>
    <message>
        <source>The gates pass: move to %1 %.</source>
        <translation>Les critères sont satisfaits : passer à %1 %.</translation>
    </message>
    <message>
        <source>Disabled: the gates are inconclusive (see what they wait for). Use Override with a reason.</source>
        <translation>Désactivé : les critères ne sont pas concluants (voir ce qu’ils attendent). Utilisez Déroger avec un motif.</translation>
    </message>
    <message>
        <source>Disabled: the gates fail. Use Override with a reason.</source>
        <translation>Désactivé : les critères ne sont pas satisfaits. Utilisez Déroger avec un motif.</translation>
    </message>
    <message>
        <source>Advances once the samples and the soak time are reached and, of the other gates, %1 pass (advisory gates are shown, never decide).</source>
        <translation>Avance une fois les échantillons et la durée atteints et, parmi les autres critères, quand %1 sont satisfaits (les critères indicatifs sont affichés, jamais décisifs).</translation>
    </message>
    <message>
        <source>Waiting for: %1</source>
        <translation>En attente de : %1</translation>
    </message>
    <message>
        <source>%1 (advisory)</source>
        <translation>%1 (indicatif)</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>En attente</translation>
    </message>
    <message>
        <source>Inconclusive: %1</source>
        <translation>Non concluant : %1</translation>
    </message>
    <message>
        <source>Advisory: shown, never decides.</source>
        <translation>Indicatif : affiché, jamais décisif.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RangeSelector</name>
    <message>
        <source>15 min</source>
        <translation>15 min</translation>
    </message>
    <message>
        <source>1 h</source>
        <translation>1 h</translation>
    </message>
    <message>
        <source>24 h</source>
        <translation>24 h</translation>
    </message>
    <message>
        <source>7 d</source>
        <translation>7 j</translation>
    </message>
    <message>
        <source>30 d</source>
        <translation>30 j</translation>
    </message>
    <message>
        <source>Custom…</source>
        <translation>Autre…</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Appliquer</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Du</translation>
    </message>
    <message>
        <source>to</source>
        <translation>au</translation>
    </message>
    <message>
        <source>Enter both the start and the end of the range.</source>
        <translation>Saisissez le début et la fin de la plage.</translation>
    </message>
    <message>
        <source>The start of the range must be before its end.</source>
        <translation>Le début de la plage doit précéder sa fin.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReadSourceLine</name>
    <message numerus="yes">
        <source>Read replica unreachable: reading from the primary (%1; next try in %n s).</source>
        <translation>
            <numerusform>Réplique de lecture injoignable : lecture sur le primaire (%1 ; nouvel essai dans %n s).</numerusform>
            <numerusform>Réplique de lecture injoignable : lecture sur le primaire (%1 ; nouvel essai dans %n s).</numerusform>
        </translation>
    </message>
    <message>
        <source>Read from the standby %1, lag unknown.</source>
        <translation>Lu sur le secondaire %1, retard inconnu.</translation>
    </message>
    <message>
        <source>Read from the standby %1, lag %2 s.</source>
        <translation>Lu sur le secondaire %1, retard %2 s.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RedisAccessIndicator</name>
    <message>
        <source>Redis read-only</source>
        <translation>Redis en lecture seule</translation>
    </message>
    <message>
        <source>Redis not encrypted</source>
        <translation>Redis non chiffré</translation>
    </message>
    <message>
        <source>Redis user &quot;%1&quot; is read-only: flags can be watched but not changed from this connection. Connect as a Redis user allowed to run MLDeck&apos;s scripts to change them.</source>
        <translation>L’utilisateur Redis « %1 » est en lecture seule : les drapeaux peuvent être suivis mais pas modifiés depuis cette connexion. Connectez-vous avec un utilisateur Redis autorisé à exécuter les scripts de MLDeck pour les modifier.</translation>
    </message>
    <message>
        <source>Redis at %1 is not on this machine and is reached without encryption (hiredis 0.14 has no TLS): the password and the flags cross the network in clear. Use a local TLS tunnel (stunnel or ssh -L) and connect to 127.0.0.1.</source>
        <translation>Le Redis de %1 n’est pas sur cette machine et il est joint sans chiffrement (hiredis 0.14 ne gère pas TLS) : le mot de passe et les drapeaux traversent le réseau en clair. Utilisez un tunnel TLS local (stunnel ou ssh -L) et connectez-vous à 127.0.0.1.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RegistryView</name>
    <message>
        <source>Reason (kept in the audit log)</source>
        <translation>Motif (conservé dans le journal d’audit)</translation>
    </message>
    <message>
        <source>Register…</source>
        <translation>Enregistrer…</translation>
    </message>
    <message>
        <source>Promote to champion</source>
        <translation>Promouvoir champion</translation>
    </message>
    <message>
        <source>Make challenger</source>
        <translation>Faire challenger</translation>
    </message>
    <message>
        <source>Restore previous</source>
        <translation>Restaurer le précédent</translation>
    </message>
    <message>
        <source>Make the champion before the current one the champion again</source>
        <translation>Redonner le rôle de champion au champion précédent</translation>
    </message>
    <message>
        <source>Archive</source>
        <translation>Archiver</translation>
    </message>
    <message>
        <source>Register a TorchScript model</source>
        <translation>Enregistrer un modèle TorchScript</translation>
    </message>
    <message>
        <source>TorchScript models (*.pt *.pth *.ptl);;All files (*)</source>
        <translation>Modèles TorchScript (*.pt *.pth *.ptl);;Tous les fichiers (*)</translation>
    </message>
    <message>
        <source>Cannot read the deployments: %1</source>
        <translation>Impossible de lire les déploiements : %1</translation>
    </message>
    <message>
        <source>No deployment yet: the serving backend (or mldeckctl simulate) creates one.</source>
        <translation>Pas encore de déploiement : le backend de production (ou mldeckctl simulate) en crée un.</translation>
    </message>
    <message>
        <source>Cannot read the models of %1: %2</source>
        <translation>Impossible de lire les modèles de %1 : %2</translation>
    </message>
    <message>
        <source>Aliases</source>
        <translation>Alias</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>archived</source>
        <translation>archivé</translation>
    </message>
    <message>
        <source>active</source>
        <translation>actif</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>Tâche</translation>
    </message>
    <message>
        <source>Target unit</source>
        <translation>Unité de la cible</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Fichier</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Créé</translation>
    </message>
    <message>
        <source>%1 by %2</source>
        <translation>%1 par %2</translation>
    </message>
    <message>
        <source>Parent version</source>
        <translation>Version parente</translation>
    </message>
    <message>
        <source>Training window</source>
        <translation>Fenêtre d’entraînement</translation>
    </message>
    <message>
        <source>%1 to %2</source>
        <translation>%1 à %2</translation>
    </message>
    <message>
        <source>Metrics</source>
        <translation>Métriques</translation>
    </message>
    <message>
        <source>Feature schema</source>
        <translation>Schéma de variables</translation>
    </message>
    <message>
        <source>none (no metadata)</source>
        <translation>aucun (pas de métadonnées)</translation>
    </message>
    <message>
        <source>Features, in input order</source>
        <translation>Variables, dans l’ordre d’entrée</translation>
    </message>
    <message>
        <source>(mean %1, std %2)</source>
        <translation>(moyenne %1, écart-type %2)</translation>
    </message>
    <message>
        <source>The champion cannot be archived; promote another version first.</source>
        <translation>Le champion ne peut pas être archivé ; promouvez d’abord une autre version.</translation>
    </message>
    <message>
        <source>Register model</source>
        <translation>Enregistrer le modèle</translation>
    </message>
    <message>
        <source>Register %1 for deployment %2? The file is checked, loaded once and copied into the model store.</source>
        <translation>Enregistrer %1 pour le déploiement %2 ? Le fichier est vérifié, chargé une fois et copié dans le magasin de modèles.</translation>
    </message>
    <message>
        <source>Make %1@%2 the champion? The serving backend is told at once (Redis). The current champion stays one click away with Restore previous.</source>
        <translation>Faire de %1@%2 le champion ? Le backend de production est prévenu immédiatement (Redis). Le champion actuel reste à un clic avec Restaurer le précédent.</translation>
    </message>
    <message>
        <source>Make %1@%2 the challenger?</source>
        <translation>Faire de %1@%2 le challenger ?</translation>
    </message>
    <message>
        <source>Restore previous model</source>
        <translation>Restaurer le modèle précédent</translation>
    </message>
    <message>
        <source>Make the previous champion of %1 the champion again? The serving backend is told at once.</source>
        <translation>Redonner le rôle de champion au champion précédent de %1 ? Le backend de production est prévenu immédiatement.</translation>
    </message>
    <message>
        <source>Archive model</source>
        <translation>Archiver le modèle</translation>
    </message>
    <message>
        <source>Archive %1@%2? It can no longer be promoted.</source>
        <translation>Archiver %1@%2 ? Il ne pourra plus être promu.</translation>
    </message>
    <message>
        <source>Publish again</source>
        <translation>Publier à nouveau</translation>
    </message>
    <message>
        <source>Select a version to see its metadata.</source>
        <translation>Sélectionnez une version pour voir ses métadonnées.</translation>
    </message>
    <message>
        <source>Golden data…</source>
        <translation>Données de référence…</translation>
    </message>
    <message>
        <source>Register or replace the golden dataset the model checks run on before a promotion</source>
        <translation>Enregistrer ou remplacer le jeu de données de référence sur lequel les contrôles du modèle s’exécutent avant une promotion</translation>
    </message>
    <message>
        <source>Remove golden data</source>
        <translation>Supprimer les données de référence</translation>
    </message>
    <message>
        <source>Remove the golden dataset: promotions are then no longer checked</source>
        <translation>Supprimer le jeu de données de référence : les promotions ne sont alors plus contrôlées</translation>
    </message>
    <message>
        <source>Model checks</source>
        <translation>Contrôles du modèle</translation>
    </message>
    <message>
        <source>Remove the golden dataset of %1? Its promotions are then no longer checked until another one is registered.</source>
        <translation>Supprimer le jeu de données de référence de %1 ? Ses promotions ne seront plus contrôlées tant qu’un autre n’est pas enregistré.</translation>
    </message>
    <message>
        <source>No golden dataset: no promotion checks configured. A version becomes champion without any check.</source>
        <translation>Pas de jeu de données de référence : aucun contrôle de promotion configuré. Une version devient champion sans aucun contrôle.</translation>
    </message>
    <message numerus="yes">
        <source>Golden dataset: %1, %n row(s), outcome %2, %3; registered %4 by %5. The model checks run on it before every promotion.</source>
        <translation>
            <numerusform>Jeu de données de référence : %1, %n ligne, résultat %2, %3 ; enregistré le %4 par %5. Les contrôles du modèle s’y exécutent avant chaque promotion.</numerusform>
            <numerusform>Jeu de données de référence : %1, %n lignes, résultat %2, %3 ; enregistré le %4 par %5. Les contrôles du modèle s’y exécutent avant chaque promotion.</numerusform>
        </translation>
    </message>
    <message>
        <source>no segments</source>
        <translation>pas de segments</translation>
    </message>
    <message>
        <source>segments by %1</source>
        <translation>segments selon %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReliabilityDiagram</name>
    <message>
        <source>Predicted probability</source>
        <translation>Probabilité prédite</translation>
    </message>
    <message>
        <source>Observed share</source>
        <translation>Part observée</translation>
    </message>
    <message>
        <source>Perfectly calibrated</source>
        <translation>Parfaitement calibré</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReportCharts</name>
    <message>
        <source>Predicted vs actual</source>
        <translation>Prédit / réel</translation>
    </message>
    <message>
        <source>Residuals (predicted − actual)</source>
        <translation>Résidus (prédit − réel)</translation>
    </message>
    <message>
        <source>Actual</source>
        <translation>Réel</translation>
    </message>
    <message>
        <source>Predicted</source>
        <translation>Prédit</translation>
    </message>
    <message>
        <source>Perfect</source>
        <translation>Parfait</translation>
    </message>
    <message>
        <source>Rows</source>
        <translation>Lignes</translation>
    </message>
    <message>
        <source>Reliability of P(%1)</source>
        <translation>Fiabilité de P(%1)</translation>
    </message>
    <message>
        <source>Reliability of the confidence</source>
        <translation>Fiabilité de la confiance</translation>
    </message>
    <message>
        <source>Mean predicted probability</source>
        <translation>Probabilité prédite moyenne</translation>
    </message>
    <message>
        <source>Mean confidence</source>
        <translation>Confiance moyenne</translation>
    </message>
    <message>
        <source>Share %1</source>
        <translation>Part %1</translation>
    </message>
    <message>
        <source>Share right</source>
        <translation>Part correcte</translation>
    </message>
    <message>
        <source>%1: ECE %2</source>
        <translation>%1 : ECE %2</translation>
    </message>
    <message>
        <source>%1 (%2 labelled rows)</source>
        <translation>%1 (%2 lignes étiquetées)</translation>
    </message>
    <message>
        <source>Confusion matrix of %1</source>
        <translation>Matrice de confusion de %1</translation>
    </message>
    <message>
        <source>Rows: true class; columns: served class</source>
        <translation>Lignes : classe réelle ; colonnes : classe servie</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReportExporter</name>
    <message>
        <source>Unknown report period &quot;%1&quot;: use day or week.</source>
        <translation>Période de rapport « %1 » inconnue : utilisez day ou week.</translation>
    </message>
    <message>
        <source>Unknown report format &quot;%1&quot;: use pdf or csv.</source>
        <translation>Format de rapport « %1 » inconnu : utilisez pdf ou csv.</translation>
    </message>
    <message>
        <source>No output file given.</source>
        <translation>Aucun fichier de sortie indiqué.</translation>
    </message>
    <message>
        <source>%1 is a folder, not a file.</source>
        <translation>%1 est un dossier, pas un fichier.</translation>
    </message>
    <message>
        <source>The folder %1 does not exist.</source>
        <translation>Le dossier %1 n’existe pas.</translation>
    </message>
    <message>
        <source>The folder %1 is not writable.</source>
        <translation>Le dossier %1 n’est pas accessible en écriture.</translation>
    </message>
    <message>
        <source>%1 exists and is not writable.</source>
        <translation>%1 existe et n’est pas accessible en écriture.</translation>
    </message>
    <message>
        <source>A report is being written already.</source>
        <translation>Un rapport est déjà en cours d’écriture.</translation>
    </message>
    <message>
        <source>Report written to %1.</source>
        <translation>Rapport écrit dans %1.</translation>
    </message>
    <message>
        <source>Report written to %1 (%2).</source>
        <translation>Rapport écrit dans %1 (%2).</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReportLayout</name>
    <message>
        <source>Page %1</source>
        <translation>Page %1</translation>
    </message>
    <message>
        <source>%1 (continued)</source>
        <translation>%1 (suite)</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
    <message>
        <source>Cannot start the PDF %1.</source>
        <translation>Impossible de démarrer le PDF %1.</translation>
    </message>
    <message>
        <source>Cannot add a page to the PDF %1.</source>
        <translation>Impossible d’ajouter une page au PDF %1.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ReportPdf</name>
    <message>
        <source>Model comparison</source>
        <translation>Comparaison de modèles</translation>
    </message>
    <message>
        <source>%1 rows from %2, bootstrap %3 resamples, seed %4</source>
        <translation>%1 lignes de %2, bootstrap à %3 rééchantillonnages, graine %4</translation>
    </message>
    <message>
        <source>MLDeck model comparison</source>
        <translation>Comparaison de modèles MLDeck</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Rows/s</source>
        <translation>Lignes/s</translation>
    </message>
    <message>
        <source>p50 ms</source>
        <translation>p50 ms</translation>
    </message>
    <message>
        <source>p99 ms</source>
        <translation>p99 ms</translation>
    </message>
    <message>
        <source>Metrics</source>
        <translation>Métriques</translation>
    </message>
    <message>
        <source>Challenger</source>
        <translation>Challenger</translation>
    </message>
    <message>
        <source>Metric</source>
        <translation>Métrique</translation>
    </message>
    <message>
        <source>Difference</source>
        <translation>Différence</translation>
    </message>
    <message>
        <source>95 % CI</source>
        <translation>IC à 95 %</translation>
    </message>
    <message>
        <source>Relative</source>
        <translation>Relatif</translation>
    </message>
    <message>
        <source>Differences</source>
        <translation>Différences</translation>
    </message>
    <message>
        <source>Segment</source>
        <translation>Segment</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>Rows</source>
        <translation>Lignes</translation>
    </message>
    <message>
        <source>Segments (%1)</source>
        <translation>Segments (%1)</translation>
    </message>
    <message>
        <source>Accuracy</source>
        <translation>Exactitude</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>Précision</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>Rappel</translation>
    </message>
    <message>
        <source>Log-loss</source>
        <translation>Log-loss</translation>
    </message>
    <message>
        <source>Classes %1; precision, recall and F1 of %2 (threshold %3)</source>
        <translation>Classes %1 ; précision, rappel et F1 de %2 (seuil %3)</translation>
    </message>
    <message>
        <source>Classes %1; precision, recall and F1 averaged over the classes (macro)</source>
        <translation>Classes %1 ; précision, rappel et F1 moyennés sur les classes (macro)</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>Score</translation>
    </message>
    <message>
        <source>%1 → %2 (%3 rows)</source>
        <translation>%1 → %2 (%3 lignes)</translation>
    </message>
    <message>
        <source>Reliability: mean P(%1) → share of %1, by score</source>
        <translation>Fiabilité : P(%1) moyenne → part de %1, par score</translation>
    </message>
    <message>
        <source>Reliability: mean confidence → share right, by confidence</source>
        <translation>Fiabilité : confiance moyenne → part correcte, par confiance</translation>
    </message>
    <message>
        <source>True \ served</source>
        <translation>Réel \ servi</translation>
    </message>
    <message>
        <source>Confusion matrix of %1</source>
        <translation>Matrice de confusion de %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetentionEditor</name>
    <message>
        <source>Retention</source>
        <translation>Rétention</translation>
    </message>
    <message>
        <source>Keep raw rows</source>
        <translation>Conserver les lignes brutes</translation>
    </message>
    <message>
        <source>days</source>
        <translation>jours</translation>
    </message>
    <message>
        <source>default (%1)</source>
        <translation>par défaut (%1)</translation>
    </message>
    <message>
        <source>Empty: the default of %1 days, which the deployment then follows.</source>
        <translation>Vide : la valeur par défaut de %1 jours, que le déploiement suit alors.</translation>
    </message>
    <message>
        <source>Raw predictions, outcomes and feedback older than this are dropped by the guard, for good. Aggregates, drift history, sketches and the audit log are kept.</source>
        <translation>Les prédictions, résultats et retours bruts plus anciens sont supprimés par la garde, définitivement. Les agrégats, l’historique de dérive, les esquisses et le journal d’audit sont conservés.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainHistoryView</name>
    <message>
        <source>None recorded.</source>
        <translation>Aucun enregistré.</translation>
    </message>
    <message>
        <source>Export the retrain runs as JSON</source>
        <translation>Exporter les réentraînements en JSON</translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation>Fichiers JSON (*.json)</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Actualiser</translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation>Exporter en JSON…</translation>
    </message>
    <message>
        <source>Select a run to see its parameters and metrics.</source>
        <translation>Sélectionnez une exécution pour voir ses paramètres et ses métriques.</translation>
    </message>
    <message>
        <source>Reading the runs…</source>
        <translation>Lecture des exécutions…</translation>
    </message>
    <message>
        <source>Cannot read the runs: %1</source>
        <translation>Impossible de lire les exécutions : %1</translation>
    </message>
    <message>
        <source>No retrain run yet for “%1”.</source>
        <translation>Aucun réentraînement pour « %1 » pour l’instant.</translation>
    </message>
    <message numerus="yes">
        <source>%n run(s).</source>
        <translation>
            <numerusform>%n exécution.</numerusform>
            <numerusform>%n exécutions.</numerusform>
        </translation>
    </message>
    <message>
        <source>Run %1 · %2</source>
        <translation>Exécution %1 · %2</translation>
    </message>
    <message>
        <source>Requested by</source>
        <translation>Demandée par</translation>
    </message>
    <message>
        <source>Started from</source>
        <translation>Point de départ</translation>
    </message>
    <message>
        <source>Registered</source>
        <translation>Version enregistrée</translation>
    </message>
    <message>
        <source>Decision</source>
        <translation>Décision</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Pourquoi</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Erreur</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Metrics</source>
        <translation>Métriques</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n run(s) to %1.</source>
        <translation>
            <numerusform>%n exécution exportée dans %1.</numerusform>
            <numerusform>%n exécutions exportées dans %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>Impossible d’écrire %1 : %2</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainPage</name>
    <message>
        <source>Read the deployments, the triggers and the runs again</source>
        <translation>Relire les déploiements, les déclencheurs et les exécutions</translation>
    </message>
    <message>
        <source>Wizard</source>
        <translation>Assistant</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historique</translation>
    </message>
    <message>
        <source>Not connected.</source>
        <translation>Non connecté.</translation>
    </message>
    <message>
        <source>Reading the deployments…</source>
        <translation>Lecture des déploiements…</translation>
    </message>
    <message>
        <source>Cannot read the deployments: %1</source>
        <translation>Impossible de lire les déploiements : %1</translation>
    </message>
    <message>
        <source>No deployment yet: register a model with “mldeckctl models register” or start the demo with “mldeckctl simulate”, then press Refresh.</source>
        <translation>Aucun déploiement pour l’instant : enregistrez un modèle avec « mldeckctl models register » ou lancez la démo avec « mldeckctl simulate », puis appuyez sur Actualiser.</translation>
    </message>
    <message>
        <source>Retrain a deployment&apos;s model on fresh data, evaluate it against the champion and decide; every run is kept.</source>
        <translation>Réentraîner le modèle d’un déploiement sur des données récentes, l’évaluer face au champion et décider ; chaque exécution est conservée.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainRunTableModel</name>
    <message>
        <source> (dry run)</source>
        <translation> (essai à blanc)</translation>
    </message>
    <message>
        <source>%1 vs %2</source>
        <translation>%1 contre %2</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Exécution</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>Démarrée</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Statut</translation>
    </message>
    <message>
        <source>Trigger</source>
        <translation>Déclencheur</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Decision</source>
        <translation>Décision</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Durée</translation>
    </message>
    <message>
        <source>%1 candidate vs champion</source>
        <translation>%1 du candidat face au champion</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainSettingsEditor</name>
    <message>
        <source>Retrain</source>
        <translation>Réentraînement</translation>
    </message>
    <message>
        <source>When a retrain is due</source>
        <translation>Quand un réentraînement est dû</translation>
    </message>
    <message>
        <source>Feedback window</source>
        <translation>Fenêtre des retours</translation>
    </message>
    <message>
        <source>days</source>
        <translation>jours</translation>
    </message>
    <message>
        <source>Feedback items, at least</source>
        <translation>Éléments de retour, au moins</translation>
    </message>
    <message>
        <source>Negative items, at least</source>
        <translation>Éléments négatifs, au moins</translation>
    </message>
    <message>
        <source>Satisfaction below</source>
        <translation>Satisfaction inférieure à</translation>
    </message>
    <message>
        <source>share (0.7 = 70 %)</source>
        <translation>part (0.7 = 70 %)</translation>
    </message>
    <message>
        <source>Due when all three feedback conditions hold over the window, or when a trigger below is on and fires.</source>
        <translation>Dû quand les trois conditions sur les retours sont réunies sur la fenêtre, ou quand un déclencheur ci-dessous est activé et se déclenche.</translation>
    </message>
    <message>
        <source>Also when a drift alert fires</source>
        <translation>Aussi quand une alerte de dérive se déclenche</translation>
    </message>
    <message>
        <source>What the guard does</source>
        <translation>Ce que fait la garde</translation>
    </message>
    <message>
        <source>Retrain automatically when due</source>
        <translation>Réentraîner automatiquement quand c’est dû</translation>
    </message>
    <message>
        <source>Promote the candidate when the decision rule says so</source>
        <translation>Promouvoir le candidat quand la règle de décision le dit</translation>
    </message>
    <message>
        <source>Check every</source>
        <translation>Vérifier toutes les</translation>
    </message>
    <message>
        <source>min</source>
        <translation>min</translation>
    </message>
    <message>
        <source>Without auto-promote, a run the guard starts keeps its candidate as challenger for a person to decide.</source>
        <translation>Sans promotion automatique, un réentraînement lancé par la garde conserve son candidat comme challenger, et une personne décide.</translation>
    </message>
    <message>
        <source>Decision and privacy</source>
        <translation>Décision et confidentialité</translation>
    </message>
    <message>
        <source>Keep feedback for</source>
        <translation>Conserver les retours pendant</translation>
    </message>
    <message>
        <source>Also when the window&apos;s MAE is above its target (a classifier: its accuracy below it)</source>
        <translation>Aussi quand la MAE de la période dépasse son objectif (pour un classifieur : quand son exactitude passe en dessous)</translation>
    </message>
    <message>
        <source>A classifier is judged on its</source>
        <translation>Un classifieur est jugé sur sa</translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation>exactitude</translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation>log-loss</translation>
    </message>
    <message>
        <source>Promote when it improves by at least</source>
        <translation>Promouvoir quand il s’améliore d’au moins</translation>
    </message>
    <message>
        <source>share: MAE or log-loss 0.02 = 2 % lower; accuracy 0.02 = 2 points higher</source>
        <translation>part : MAE ou log-loss 0.02 = 2 % plus basse ; exactitude 0.02 = 2 points de plus</translation>
    </message>
    <message>
        <source>A regression model is judged on its MAE. The improvement must also be sure: the 95 % paired-bootstrap interval of the difference on the holdout must exclude no improvement.</source>
        <translation>Un modèle de régression est jugé sur sa MAE. L’amélioration doit aussi être sûre : l’intervalle bootstrap apparié à 95 % de la différence sur le jeu de test doit exclure l’absence d’amélioration.</translation>
    </message>
    <message>
        <source>Training images (an image deployment)</source>
        <translation>Images d’entraînement (déploiement d’images)</translation>
    </message>
    <message>
        <source>Mirror half of the images left-right</source>
        <translation>Retourner la moitié des images de gauche à droite</translation>
    </message>
    <message>
        <source>Largest random crop</source>
        <translation>Plus grand recadrage aléatoire</translation>
    </message>
    <message>
        <source>share of each side (0.1 = 10 %; 0 = no crops)</source>
        <translation>part de chaque côté (0,1 = 10 % ; 0 = aucun recadrage)</translation>
    </message>
    <message>
        <source>Where every retrain starts, the guard&apos;s too; a run may change them. Turn mirroring off for images whose meaning changes when mirrored, such as digits or text.</source>
        <translation>Le point de départ de chaque réentraînement, celui de la garde compris ; une exécution peut les changer. Désactivez le miroir pour les images dont le sens change en miroir, comme des chiffres ou du texte.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RetrainWizard</name>
    <message>
        <source>Why now</source>
        <translation>Pourquoi maintenant</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>Données</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>Entraînement</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Exécution</translation>
    </message>
    <message>
        <source>Evaluation</source>
        <translation>Évaluation</translation>
    </message>
    <message>
        <source>Decision</source>
        <translation>Décision</translation>
    </message>
    <message>
        <source>‹ Back</source>
        <translation>‹ Précédent</translation>
    </message>
    <message>
        <source>Next ›</source>
        <translation>Suivant ›</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>choose a deployment first.</source>
        <translation>choisissez d’abord un déploiement.</translation>
    </message>
    <message>
        <source>1. Why now: is a retrain due?</source>
        <translation>1. Pourquoi maintenant : un réentraînement est-il dû ?</translation>
    </message>
    <message>
        <source>2. Data: which rows, and what they hold</source>
        <translation>2. Données : quelles lignes, et ce qu’elles contiennent</translation>
    </message>
    <message>
        <source>3. Training: how to train the candidate</source>
        <translation>3. Entraînement : comment entraîner le candidat</translation>
    </message>
    <message>
        <source>4. Training the candidate</source>
        <translation>4. Entraînement du candidat</translation>
    </message>
    <message>
        <source>5. Evaluation against the champion</source>
        <translation>5. Évaluation face au champion</translation>
    </message>
    <message>
        <source>6. Decision</source>
        <translation>6. Décision</translation>
    </message>
    <message>
        <source>Start training ›</source>
        <translation>Lancer l’entraînement ›</translation>
    </message>
    <message>
        <source>Cancel run</source>
        <translation>Annuler l’exécution</translation>
    </message>
    <message>
        <source>Start over</source>
        <translation>Recommencer</translation>
    </message>
    <message>
        <source>Stop the run: nothing is registered and the champion stays as it is</source>
        <translation>Arrêter l’exécution : rien n’est enregistré et le champion reste tel quel</translation>
    </message>
    <message>
        <source>Another run is still going.</source>
        <translation>Une autre exécution est encore en cours.</translation>
    </message>
    <message>
        <source>Promote %1@%2?</source>
        <translation>Promouvoir %1@%2 ?</translation>
    </message>
    <message>
        <source>%1@%2 becomes the champion of “%3”: the serving backend loads it at its next check. The current champion stays in the registry and can be restored.</source>
        <translation>%1@%2 devient le champion de « %3 » : le backend de production le charge à sa prochaine vérification. Le champion actuel reste dans le registre et peut être restauré.</translation>
    </message>
    <message>
        <source>Promote</source>
        <translation>Promouvoir</translation>
    </message>
    <message>
        <source>Discard %1@%2?</source>
        <translation>Écarter %1@%2 ?</translation>
    </message>
    <message>
        <source>The candidate is archived and will not be offered again. The run stays in the history.</source>
        <translation>Le candidat est archivé et ne sera plus proposé. L’exécution reste dans l’historique.</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Écarter</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RoleGate</name>
    <message>
        <source>Redis user &quot;%1&quot; is read-only: connect as a Redis user allowed to run MLDeck&apos;s scripts to change flags.</source>
        <translation>L’utilisateur Redis « %1 » est en lecture seule : connectez-vous avec un utilisateur Redis autorisé à exécuter les scripts de MLDeck pour modifier les drapeaux.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RolloutPage</name>
    <message>
        <source>no flag set</source>
        <translation>aucun jeu de drapeaux</translation>
    </message>
    <message>
        <source>INVALID flags (%1)</source>
        <translation>drapeaux NON VALIDES (%1)</translation>
    </message>
    <message>
        <source>ML %1, %2 %, fallback %3</source>
        <translation>ML %1, %2 %, repli %3</translation>
    </message>
    <message>
        <source>on</source>
        <translation>activé</translation>
    </message>
    <message>
        <source>off</source>
        <translation>coupé</translation>
    </message>
    <message>
        <source>✖ invalid in Redis</source>
        <translation>✖ non valide dans Redis</translation>
    </message>
    <message>
        <source>Move traffic to the model step by step, watch the gates, and take it back at once.</source>
        <translation>Envoyer le trafic au modèle étape par étape, surveiller les critères, et le reprendre immédiatement.</translation>
    </message>
    <message>
        <source>Read the list of deployments and their flags again</source>
        <translation>Relire la liste des déploiements et leurs drapeaux</translation>
    </message>
    <message>
        <source>Change the flags</source>
        <translation>Modifier les drapeaux</translation>
    </message>
    <message>
        <source>ML enabled</source>
        <translation>ML activé</translation>
    </message>
    <message>
        <source>Master switch: off sends every request to the heuristic.</source>
        <translation>Interrupteur général : coupé, il envoie chaque requête à l’heuristique.</translation>
    </message>
    <message>
        <source>Fallback on error</source>
        <translation>Repli en cas d’erreur</translation>
    </message>
    <message>
        <source>When the model fails on a request, answer with the heuristic instead of an error.</source>
        <translation>Quand le modèle échoue sur une requête, répondre avec l’heuristique au lieu d’une erreur.</translation>
    </message>
    <message>
        <source>Traffic to ML (applied when you release the slider):</source>
        <translation>Trafic vers le ML (appliqué en relâchant le curseur) :</translation>
    </message>
    <message>
        <source>Why? Recorded in the audit log with every change</source>
        <translation>Pourquoi ? Noté au journal d’audit avec chaque changement</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>Motif :</translation>
    </message>
    <message>
        <source>⟲  Rollback: ML off now</source>
        <translation>⟲  Retour arrière : ML coupé</translation>
    </message>
    <message>
        <source>Turns ML off (0 %) at once, whatever anyone else is changing. Asks once.</source>
        <translation>Coupe le ML (0 %) immédiatement, quoi que les autres soient en train de changer. Demande une seule confirmation.</translation>
    </message>
    <message>
        <source>Reading the flags…</source>
        <translation>Lecture des drapeaux…</translation>
    </message>
    <message>
        <source>Reading the flags of “%1”…</source>
        <translation>Lecture des drapeaux de « %1 »…</translation>
    </message>
    <message>
        <source>Waiting for the flags…</source>
        <translation>En attente des drapeaux…</translation>
    </message>
    <message>
        <source>Loading the plan…</source>
        <translation>Chargement du plan…</translation>
    </message>
    <message>
        <source>No deployment has rollout flags in Redis yet. Create one with “mldeckctl flags set --deployment NAME …” or start the demo with “mldeckctl simulate”, then press Refresh.</source>
        <translation>Aucun déploiement n’a encore de drapeaux de déploiement dans Redis. Créez-en un avec « mldeckctl flags set --deployment NOM … » ou lancez la démo avec « mldeckctl simulate », puis appuyez sur Actualiser.</translation>
    </message>
    <message>
        <source>Someone</source>
        <translation>Quelqu’un</translation>
    </message>
    <message>
        <source>an unknown time</source>
        <translation>une heure inconnue</translation>
    </message>
    <message>
        <source>&lt;b&gt;Changed by someone else:&lt;/b&gt; %1 set %2 at %3 (version %4). The controls now show this state.</source>
        <translation>&lt;b&gt;Modifié par quelqu’un d’autre :&lt;/b&gt; %1 a réglé %2 à %3 (version %4). Les commandes affichent maintenant cet état.</translation>
    </message>
    <message>
        <source>✔ Applied: %1 (version %2, read back from Redis).</source>
        <translation>✔ Appliqué : %1 (version %2, relu depuis Redis).</translation>
    </message>
    <message>
        <source>&lt;b&gt;Your change was NOT applied:&lt;/b&gt; %1 The controls now show the current state: %2 (version %3).</source>
        <translation>&lt;b&gt;Votre changement n’a PAS été appliqué :&lt;/b&gt; %1 Les commandes affichent maintenant l’état actuel : %2 (version %3).</translation>
    </message>
    <message>
        <source>✖ Not applied (conflict).</source>
        <translation>✖ Non appliqué (conflit).</translation>
    </message>
    <message>
        <source>✖ Change NOT applied: %1</source>
        <translation>✖ Changement NON appliqué : %1</translation>
    </message>
    <message>
        <source>&lt;b&gt;Rolled back:&lt;/b&gt; %1 at version %2, read back from Redis.</source>
        <translation>&lt;b&gt;Retour arrière effectué :&lt;/b&gt; %1 en version %2, relu depuis Redis.</translation>
    </message>
    <message>
        <source>PostgreSQL is unreachable: the audit row is kept on this computer and written when it returns.</source>
        <translation>PostgreSQL est injoignable : la ligne d’audit est conservée sur cet ordinateur et sera écrite à son retour.</translation>
    </message>
    <message>
        <source>✔ Rollback confirmed by Redis.</source>
        <translation>✔ Retour arrière confirmé par Redis.</translation>
    </message>
    <message>
        <source>&lt;b&gt;Rollback NOT applied:&lt;/b&gt; %1 Press Rollback again to retry.</source>
        <translation>&lt;b&gt;Retour arrière NON appliqué :&lt;/b&gt; %1 Appuyez à nouveau sur Retour arrière pour réessayer.</translation>
    </message>
    <message>
        <source>✖ Rollback NOT applied.</source>
        <translation>✖ Retour arrière NON appliqué.</translation>
    </message>
    <message>
        <source>&lt;b&gt;Not connected:&lt;/b&gt; %1 The values shown may be stale and changes are not applied; Rollback stays available and retries.</source>
        <translation>&lt;b&gt;Non connecté :&lt;/b&gt; %1 Les valeurs affichées peuvent être périmées et les changements ne sont pas appliqués ; le Retour arrière reste disponible et réessaie.</translation>
    </message>
    <message>
        <source>Retry now</source>
        <translation>Réessayer maintenant</translation>
    </message>
    <message>
        <source>⟲  Rollback (retry): ML off now</source>
        <translation>⟲  Retour arrière (réessai)</translation>
    </message>
    <message>
        <source>Large traffic increase</source>
        <translation>Forte hausse du trafic</translation>
    </message>
    <message>
        <source>Raise the ML traffic of “%1” from %2 % to %3 % (+%4 points)?

More than %5 points at once skips the usual rollout steps.</source>
        <translation>Augmenter le trafic ML de « %1 » de %2 % à %3 % (+%4 points) ?

Plus de %5 points d’un coup saute les étapes de déploiement habituelles.</translation>
    </message>
    <message>
        <source>Raise to %1 %</source>
        <translation>Augmenter à %1 %</translation>
    </message>
    <message>
        <source>Turn ML on</source>
        <translation>Activer le ML</translation>
    </message>
    <message>
        <source>Turn ML on for “%1”? %2 % of requests go to the model at once.</source>
        <translation>Activer le ML pour « %1 » ? %2 % des requêtes iront immédiatement au modèle.</translation>
    </message>
    <message>
        <source>Applying…</source>
        <translation>Application…</translation>
    </message>
    <message>
        <source>Roll back</source>
        <translation>Retour arrière</translation>
    </message>
    <message>
        <source>Turn ML OFF for “%1” now?

Every request goes to the heuristic at once (ML off, 0 %), whatever anyone else is changing.</source>
        <translation>Couper le ML pour « %1 » maintenant ?

Chaque requête va immédiatement à l’heuristique (ML coupé, 0 %), quoi que les autres soient en train de changer.</translation>
    </message>
    <message>
        <source>Roll back now</source>
        <translation>Retour arrière maintenant</translation>
    </message>
    <message>
        <source>Rollback from the Rollout page (no reason given)</source>
        <translation>Retour arrière depuis la page Déploiement (aucun motif donné)</translation>
    </message>
    <message>
        <source>Rolling back…</source>
        <translation>Retour arrière en cours…</translation>
    </message>
    <message>
        <source>Override the gates</source>
        <translation>Déroger aux critères</translation>
    </message>
    <message>
        <source>Advance “%1” to the next step although a gate fails?

Reason (audited): %2</source>
        <translation>Faire avancer « %1 » à l’étape suivante bien qu’un critère ne soit pas satisfait ?

Motif (audité) : %2</translation>
    </message>
    <message>
        <source>Advance anyway</source>
        <translation>Avancer quand même</translation>
    </message>
    <message>
        <source>✔ Applied and confirmed by a replica: %1 (version %2, read back from the master).</source>
        <translation>✔ Appliqué et confirmé par un réplica : %1 (version %2, relue sur le maître).</translation>
    </message>
    <message>
        <source>&lt;b&gt;Behind Sentinel:&lt;/b&gt; %1</source>
        <translation>&lt;b&gt;Derrière Sentinel :&lt;/b&gt; %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RunStep</name>
    <message>
        <source>Start another</source>
        <translation>En lancer un autre</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Démarrage…</translation>
    </message>
    <message>
        <source>Epoch %1 of %2 · training loss %3 · validation MAE %4</source>
        <translation>Époque %1 sur %2 · perte d’entraînement %3 · MAE de validation %4</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>encore environ %1</translation>
    </message>
    <message>
        <source>Cancelling: the run stops at its next batch…</source>
        <translation>Annulation : l’exécution s’arrête à son prochain lot…</translation>
    </message>
    <message>
        <source>Done in %1.</source>
        <translation>Terminé en %1.</translation>
    </message>
    <message>
        <source>The candidate is trained and evaluated (nothing registered). Next: the evaluation.</source>
        <translation>Le candidat est entraîné et évalué (rien n’est enregistré). Étape suivante : l’évaluation.</translation>
    </message>
    <message>
        <source>Candidate %1@%2 is trained, evaluated and registered (no alias moved). Next: the evaluation.</source>
        <translation>Le candidat %1@%2 est entraîné, évalué et enregistré (aucun alias déplacé). Étape suivante : l’évaluation.</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Annulé.</translation>
    </message>
    <message>
        <source>The run was cancelled: nothing was registered and the champion is untouched.</source>
        <translation>L’exécution a été annulée : rien n’a été enregistré et le champion est intact.</translation>
    </message>
    <message>
        <source>Failed.</source>
        <translation>Échec.</translation>
    </message>
    <message>
        <source>The run failed: %1. Nothing was registered and the champion is untouched.</source>
        <translation>L’exécution a échoué : %1. Rien n’a été enregistré et le champion est intact.</translation>
    </message>
    <message>
        <source>no reason given</source>
        <translation>aucun motif donné</translation>
    </message>
    <message>
        <source>Epoch %1 of %2 · training loss %3 · validation accuracy %4 %</source>
        <translation>Époque %1 sur %2 · perte d’entraînement %3 · exactitude de validation %4 %</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ScreenshotRunner</name>
    <message>
        <source>mldeck: cannot write the screenshot to %1</source>
        <translation>mldeck : impossible d’écrire la capture d’écran dans %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::ServedTimelineView</name>
    <message>
        <source>ML traffic share</source>
        <translation>Part du trafic ML</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Du</translation>
    </message>
    <message>
        <source>To</source>
        <translation>Au</translation>
    </message>
    <message>
        <source>Champion</source>
        <translation>Champion</translation>
    </message>
    <message>
        <source>ML %</source>
        <translation>ML %</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Changement</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Qui</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Pourquoi</translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation>Déploiement</translation>
    </message>
    <message>
        <source>No deployment yet.</source>
        <translation>Aucun déploiement pour l’instant.</translation>
    </message>
    <message>
        <source>Loading what served %1…</source>
        <translation>Chargement de ce qui a servi %1…</translation>
    </message>
    <message>
        <source>The timeline could not be read: %1</source>
        <translation>La chronologie n’a pas pu être lue : %1</translation>
    </message>
    <message>
        <source>Nothing is known of what served %1 in this range.</source>
        <translation>On ne sait rien de ce qui a servi %1 sur cette plage.</translation>
    </message>
    <message numerus="yes">
        <source>%n step(s) of what served %1, oldest first.</source>
        <translation>
            <numerusform>%n étape de ce qui a servi %1, la plus ancienne d’abord.</numerusform>
            <numerusform>%n étapes de ce qui a servi %1, les plus anciennes d’abord.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 by %2: champion %3, ML %4 %</source>
        <translation>%1 par %2 : champion %3, ML %4 %</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>inconnu</translation>
    </message>
    <message>
        <source>(state before the range)</source>
        <translation>(état avant la plage)</translation>
    </message>
    <message>
        <source>%1 by %2: champion %3, ML share unknown</source>
        <translation>%1 par %2 : champion %3, part ML inconnue</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::SettingsEditor</name>
    <message>
        <source>Save</source>
        <translation>Enregistrer</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>Rétablir</translation>
    </message>
    <message>
        <source>Put back the values last loaded or saved.</source>
        <translation>Remettre les dernières valeurs chargées ou enregistrées.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Enregistrement…</translation>
    </message>
    <message>
        <source>A value is needed.</source>
        <translation>Une valeur est requise.</translation>
    </message>
    <message>
        <source>&quot;%1&quot; is not a number.</source>
        <translation>« %1 » n’est pas un nombre.</translation>
    </message>
    <message>
        <source>A whole number is needed.</source>
        <translation>Un nombre entier est requis.</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Enregistré.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::SilenceDialog</name>
    <message>
        <source>Silence alert</source>
        <translation>Mettre l’alerte en silence</translation>
    </message>
    <message>
        <source>Silence this alert until (it stays in the list; the silence is audited):</source>
        <translation>Mettre cette alerte en silence jusqu’à (elle reste dans la liste ; la mise en silence est auditée) :</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::StandbyIndicator</name>
    <message>
        <source>Standby unreachable: reading from the primary</source>
        <translation>Secondaire injoignable : lecture sur le primaire</translation>
    </message>
    <message>
        <source>Standby: lag unknown (NOT live)</source>
        <translation>Secondaire : retard inconnu (PAS en direct)</translation>
    </message>
    <message>
        <source>Standby: %1 s behind (NOT live)</source>
        <translation>Secondaire : %1 s de retard (PAS en direct)</translation>
    </message>
    <message>
        <source>Standby: lag %1 s</source>
        <translation>Secondaire : retard %1 s</translation>
    </message>
    <message>
        <source>&lt;b&gt;Read replica&lt;/b&gt;</source>
        <translation>&lt;b&gt;Réplique de lecture&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Standby: %1</source>
        <translation>Secondaire : %1</translation>
    </message>
    <message>
        <source>Not used: %1</source>
        <translation>Non utilisé : %1</translation>
    </message>
    <message numerus="yes">
        <source>The figures are read from the primary %1; the standby is tried again in %n s.</source>
        <translation>
            <numerusform>Les chiffres sont lus sur le primaire %1 ; le secondaire est réessayé dans %n s.</numerusform>
            <numerusform>Les chiffres sont lus sur le primaire %1 ; le secondaire est réessayé dans %n s.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>More than %n s behind the primary: the dashboard and the drift page do not call their figures live.</source>
        <translation>
            <numerusform>Plus de %n s de retard sur le primaire : le tableau de bord et la page de dérive ne disent pas leurs chiffres en direct.</numerusform>
            <numerusform>Plus de %n s de retard sur le primaire : le tableau de bord et la page de dérive ne disent pas leurs chiffres en direct.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Figures up to %n s behind the primary are shown as live.</source>
        <translation>
            <numerusform>Les chiffres jusqu’à %n s de retard sur le primaire sont montrés en direct.</numerusform>
            <numerusform>Les chiffres jusqu’à %n s de retard sur le primaire sont montrés en direct.</numerusform>
        </translation>
    </message>
    <message>
        <source>Measured at %1 by the last read of the dashboard or the drift page.</source>
        <translation>Mesuré à %1 par la dernière lecture du tableau de bord ou de la page de dérive.</translation>
    </message>
    <message>
        <source>Standby: not checked yet</source>
        <translation>Secondaire : pas encore vérifié</translation>
    </message>
    <message>
        <source>&lt;b&gt;Read replica&lt;/b&gt;&lt;br&gt;Standby: %1&lt;br&gt;Its lag is measured by the first read of the dashboard or the drift page.</source>
        <translation>&lt;b&gt;Réplique de lecture&lt;/b&gt;&lt;br&gt;Secondaire : %1&lt;br&gt;Son retard est mesuré par la première lecture du tableau de bord ou de la page de dérive.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::TimeSeriesChart</name>
    <message>
        <source>Changes</source>
        <translation>Changements</translation>
    </message>
    <message>
        <source>%1
%2
%3</source>
        <translation>%1
%2
%3</translation>
    </message>
    <message>
        <source>%1
%2</source>
        <translation>%1
%2</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::TrainingStep</name>
    <message>
        <source>Start from the champion&apos;s weights (fine-tune)</source>
        <translation>Partir des poids du champion (affinage)</translation>
    </message>
    <message>
        <source>Re-initialise every weight (seeded)</source>
        <translation>Réinitialiser tous les poids (avec graine)</translation>
    </message>
    <message>
        <source>For example 0.0005 or 5e-4</source>
        <translation>Par exemple 0.0005 ou 5e-4</translation>
    </message>
    <message>
        <source>off</source>
        <translation>désactivé</translation>
    </message>
    <message>
        <source> epochs</source>
        <translation> époques</translation>
    </message>
    <message>
        <source>multiply by</source>
        <translation>multiplier par</translation>
    </message>
    <message>
        <source>after</source>
        <translation>après</translation>
    </message>
    <message>
        <source>without improvement</source>
        <translation>sans amélioration</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>Poids</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>Époques</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>Taux d’apprentissage</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Taille de lot</translation>
    </message>
    <message>
        <source>Early stopping patience</source>
        <translation>Patience d’arrêt anticipé</translation>
    </message>
    <message>
        <source>Learning rate on plateau</source>
        <translation>Taux d’apprentissage sur plateau</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>Graine</translation>
    </message>
    <message>
        <source>Not a number: write it like 0.0005 or 5e-4.</source>
        <translation>Ce n’est pas un nombre : écrivez-le comme 0.0005 ou 5e-4.</translation>
    </message>
    <message>
        <source>The learning rate is not a number.</source>
        <translation>Le taux d’apprentissage n’est pas un nombre.</translation>
    </message>
    <message>
        <source>Balance the classes: a rare class weighs more in the loss</source>
        <translation>Équilibrer les classes : une classe rare pèse davantage dans la perte</translation>
    </message>
    <message>
        <source>Each class weighs n / (K × its rows): every class counts as much in training</source>
        <translation>Chaque classe pèse n / (K × ses lignes) : chaque classe compte autant à l’entraînement</translation>
    </message>
    <message>
        <source>Class weights</source>
        <translation>Poids des classes</translation>
    </message>
    <message>
        <source>Mirror half of the images left-right</source>
        <translation>Retourner la moitié des images de gauche à droite</translation>
    </message>
    <message>
        <source>Off for images whose meaning changes when mirrored, such as digits or text</source>
        <translation>À désactiver pour les images dont le sens change en miroir, comme des chiffres ou du texte</translation>
    </message>
    <message>
        <source>Up to this share of each side cut off at random, the rest resized back; 0 = no crops</source>
        <translation>Jusqu’à cette part de chaque côté retranchée au hasard, le reste remis à la taille ; 0 = aucun recadrage</translation>
    </message>
    <message>
        <source>Training images</source>
        <translation>Images d’entraînement</translation>
    </message>
    <message>
        <source>Largest random crop</source>
        <translation>Plus grand recadrage aléatoire</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::TriggerStep</name>
    <message>
        <source>firing</source>
        <translation>déclenchée</translation>
    </message>
    <message>
        <source>not firing</source>
        <translation>non déclenchée</translation>
    </message>
    <message>
        <source>A retrain is due when the recent feedback says the model disappoints users, or when an enabled extra trigger fires.</source>
        <translation>Un réentraînement est dû quand les retours récents montrent que le modèle déçoit les utilisateurs, ou quand un déclencheur supplémentaire activé se déclenche.</translation>
    </message>
    <message>
        <source>Condition</source>
        <translation>Condition</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valeur</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>Seuil</translation>
    </message>
    <message>
        <source>Met</source>
        <translation>Atteint</translation>
    </message>
    <message>
        <source>Run anyway (the triggers say it is not due)</source>
        <translation>Lancer quand même (les déclencheurs indiquent qu’il n’est pas dû)</translation>
    </message>
    <message>
        <source>Check again</source>
        <translation>Vérifier à nouveau</translation>
    </message>
    <message>
        <source>Checking the triggers of “%1”…</source>
        <translation>Vérification des déclencheurs de « %1 »…</translation>
    </message>
    <message>
        <source>off</source>
        <translation>désactivé</translation>
    </message>
    <message>
        <source>✓ met</source>
        <translation>✓ atteint</translation>
    </message>
    <message>
        <source>✗ not met</source>
        <translation>✗ non atteint</translation>
    </message>
    <message>
        <source>A retrain is due.</source>
        <translation>Un réentraînement est dû.</translation>
    </message>
    <message>
        <source>No retrain is due.</source>
        <translation>Aucun réentraînement n’est dû.</translation>
    </message>
    <message>
        <source>Cannot check the triggers: %1</source>
        <translation>Impossible de vérifier les déclencheurs : %1</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::WebhookEditor</name>
    <message>
        <source>Webhook</source>
        <translation>Webhook</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>A URL is needed.</source>
        <translation>Une URL est requise.</translation>
    </message>
    <message>
        <source>Alerts are sent to this webhook</source>
        <translation>Les alertes sont envoyées à ce webhook</translation>
    </message>
    <message>
        <source>A Slack-compatible JSON POST per alert that fires or resolves. The audit log keeps only the URL&apos;s scheme and host: the rest may hold a token.</source>
        <translation>Un POST JSON compatible Slack par alerte qui se déclenche ou se résout. Le journal d’audit ne garde que le schéma et l’hôte de l’URL : le reste peut contenir un jeton.</translation>
    </message>
    <message>
        <source>Send test</source>
        <translation>Envoyer un test</translation>
    </message>
    <message>
        <source>Post one test event to the saved URL and record the delivery.</source>
        <translation>Publier un événement de test à l’URL enregistrée et consigner la livraison.</translation>
    </message>
    <message>
        <source>Sending a test…</source>
        <translation>Envoi d’un test…</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::WhatIfPanel</name>
    <message>
        <source>Choose a deployment to preview a percentage.</source>
        <translation>Choisissez un déploiement pour prévisualiser un pourcentage.</translation>
    </message>
    <message>
        <source>If traffic were %1 % … computing</source>
        <translation>Si le trafic était à %1 % … calcul en cours</translation>
    </message>
    <message>
        <source>No preview: %1</source>
        <translation>Pas d’aperçu : %1</translation>
    </message>
    <message>
        <source>If traffic were %1 %</source>
        <translation>Si le trafic était à %1 %</translation>
    </message>
    <message>
        <source>No request keys logged in the last 24 h: nothing to project from.</source>
        <translation>Aucune clé de requête journalisée ces dernières 24 h : rien sur quoi baser une projection.</translation>
    </message>
    <message>
        <source>%1 % of request keys would be on ML</source>
        <translation>%1 % des clés de requête seraient sur le ML</translation>
    </message>
    <message>
        <source>%1 distinct request keys logged in the last 24 h</source>
        <translation>%1 clés de requête distinctes journalisées ces dernières 24 h</translation>
    </message>
    <message>
        <source>No key would switch between heuristic and ML.</source>
        <translation>Aucune clé ne basculerait entre l’heuristique et le ML.</translation>
    </message>
    <message>
        <source>%1 keys would switch between heuristic and ML (%2 %)</source>
        <translation>%1 clés basculeraient entre l’heuristique et le ML (%2 %)</translation>
    </message>
    <message>
        <source>Projected MAE %1, the same as now</source>
        <translation>MAE projetée %1, identique à maintenant</translation>
    </message>
    <message>
        <source>Projected MAE %1 vs %2 now (%3%4, %5)</source>
        <translation>MAE projetée %1 contre %2 maintenant (%3%4, %5)</translation>
    </message>
    <message>
        <source>better</source>
        <translation>meilleure</translation>
    </message>
    <message>
        <source>worse</source>
        <translation>moins bonne</translation>
    </message>
    <message>
        <source>Projected MAE %1 (no current MAE to compare)</source>
        <translation>MAE projetée %1 (pas de MAE actuelle à comparer)</translation>
    </message>
    <message>
        <source>Projected MAE: not enough logged ML and heuristic results with outcomes.</source>
        <translation>MAE projetée : pas assez de résultats ML et heuristique journalisés avec des résultats réels.</translation>
    </message>
    <message>
        <source>What-if preview</source>
        <translation>Aperçu de simulation</translation>
    </message>
    <message>
        <source>Projected from the last 24 h of logged requests.</source>
        <translation>Projection à partir des requêtes journalisées des dernières 24 h.</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::retrainfmt</name>
    <message>
        <source>%1 d</source>
        <translation>%1 j</translation>
    </message>
    <message>
        <source>lr %1</source>
        <translation>lr %1</translation>
    </message>
    <message>
        <source>batch %1</source>
        <translation>lot %1</translation>
    </message>
    <message>
        <source>from champion</source>
        <translation>depuis le champion</translation>
    </message>
    <message>
        <source>re-initialised</source>
        <translation>réinitialisé</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>en file d’attente</translation>
    </message>
    <message>
        <source>running</source>
        <translation>en cours</translation>
    </message>
    <message>
        <source>succeeded</source>
        <translation>réussi</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>échoué</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <source>promoted</source>
        <translation>promu</translation>
    </message>
    <message>
        <source>kept as challenger</source>
        <translation>gardé comme challenger</translation>
    </message>
    <message>
        <source>discarded</source>
        <translation>écarté</translation>
    </message>
    <message numerus="yes">
        <source>%n epochs</source>
        <translation>
            <numerusform>%n époque</numerusform>
            <numerusform>%n époques</numerusform>
        </translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation>exactitude</translation>
    </message>
    <message>
        <source>log-loss</source>
        <translation>log-loss</translation>
    </message>
</context>
<context>
    <name>mldeck::worker::FrameBuffer</name>
    <message>
        <source>The model worker sent a malformed message (length %1).</source>
        <translation>Le processus de modèle a envoyé un message mal formé (longueur %1).</translation>
    </message>
</context>
</TS>
