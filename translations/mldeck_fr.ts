<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
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
    <message>
        <source>%1 must be 0 or 1, not &quot;%2&quot;.</source>
        <translation>%1 doit valoir 0 ou 1, pas « %2 ».</translation>
    </message>
    <message>
        <source>The ML traffic percentage must be a whole number from 0 to 100, not &quot;%1&quot;.</source>
        <translation>Le pourcentage de trafic ML doit être un entier de 0 à 100, pas « %1 ».</translation>
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
        <source>a feature has no name</source>
        <translation>une variable n’a pas de nom</translation>
    </message>
    <message>
        <source>feature &quot;%1&quot; appears twice</source>
        <translation>la variable « %1 » apparaît deux fois</translation>
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
</context>
<context>
    <name>mldeck::ConnectionProfile</name>
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
</context>
<context>
    <name>mldeck::DeploymentStore</name>
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
</context>
<context>
    <name>mldeck::FlagStore</name>
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
</context>
<context>
    <name>mldeck::Health</name>
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
</context>
<context>
    <name>mldeck::LogWriter</name>
    <message>
        <source>%1 rows could not be written to PostgreSQL (%2 dropped while it was unreachable): %3</source>
        <translation>%1 lignes n’ont pas pu être écrites dans PostgreSQL (%2 abandonnées pendant qu’il était injoignable) : %3</translation>
    </message>
</context>
<context>
    <name>mldeck::Migrator</name>
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
        <source>%1: cannot probe the model: %2</source>
        <translation>%1 : impossible de sonder le modèle : %2</translation>
    </message>
    <message>
        <source>Model %1 failed: %2</source>
        <translation>Le modèle %1 a échoué : %2</translation>
    </message>
    <message>
        <source>Model %1 failed with an unknown error.</source>
        <translation>Le modèle %1 a échoué avec une erreur inconnue.</translation>
    </message>
</context>
<context>
    <name>mldeck::ModelRunner::Impl</name>
    <message>
        <source>Model %1: %2</source>
        <translation>Modèle %1 : %2</translation>
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
        <source>Row %1 has %2 numeric and %3 categorical values; model %4 expects %5 numeric (%6) and %7 categorical (%8).</source>
        <translation>La ligne %1 a %2 valeurs numériques et %3 catégorielles ; le modèle %4 attend %5 numériques (%6) et %7 catégorielles (%8).</translation>
    </message>
    <message>
        <source>Row %1: %2 is not a finite number.</source>
        <translation>Ligne %1 : %2 n’est pas un nombre fini.</translation>
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
        <source>the model gave a non-finite prediction (%1) for row %2.</source>
        <translation>le modèle a donné une prédiction non finie (%1) pour la ligne %2.</translation>
    </message>
</context>
<context>
    <name>mldeck::PgConnection</name>
    <message>
        <source>cannot connect to PostgreSQL at %1: %2</source>
        <translation>impossible de se connecter à PostgreSQL sur %1 : %2</translation>
    </message>
    <message>
        <source>checking the connection</source>
        <translation>vérification de la connexion</translation>
    </message>
    <message>
        <source>running a statement</source>
        <translation>exécution d’une instruction</translation>
    </message>
    <message>
        <source>running a query</source>
        <translation>exécution d’une requête</translation>
    </message>
</context>
<context>
    <name>mldeck::PgEndpoint</name>
    <message>
        <source>Not a PostgreSQL URL: &quot;%1&quot; (expected postgresql://user[:password]@host[:port]/database).</source>
        <translation>Pas une URL PostgreSQL : « %1 » (attendu : postgresql://utilisateur[:motdepasse]@hôte[:port]/base).</translation>
    </message>
    <message>
        <source>PostgreSQL port out of range in &quot;%1&quot;.</source>
        <translation>Port PostgreSQL hors limites dans « %1 ».</translation>
    </message>
</context>
<context>
    <name>mldeck::PredictionLog</name>
    <message>
        <source>logging %n prediction(s)</source>
        <translation>journalisation de %n prédiction(s)</translation>
    </message>
    <message>
        <source>logging %n outcome(s)</source>
        <translation>journalisation de %n résultat(s) réel(s)</translation>
    </message>
    <message>
        <source>logging %n feedback row(s)</source>
        <translation>journalisation de %n ligne(s) de retour</translation>
    </message>
    <message>
        <source>logging one prediction</source>
        <translation>journalisation d’une prédiction</translation>
    </message>
    <message>
        <source>%1: nothing was logged (%2)</source>
        <translation>%1 : rien n’a été journalisé (%2)</translation>
    </message>
    <message>
        <source>invalid partition range %1 .. %2</source>
        <translation>plage de partitions non valide %1 .. %2</translation>
    </message>
    <message>
        <source>creating daily prediction partitions</source>
        <translation>création des partitions quotidiennes de prédictions</translation>
    </message>
</context>
<context>
    <name>mldeck::Probes</name>
    <message>
        <source>internal error while checking: %1</source>
        <translation>erreur interne pendant la vérification : %1</translation>
    </message>
</context>
<context>
    <name>mldeck::RedisConnection</name>
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
        <source>Redis at %1 cannot select database %2: %3</source>
        <translation>Redis sur %1 ne peut pas sélectionner la base %2 : %3</translation>
    </message>
    <message>
        <source>Redis at %1 requires a password (give one in the connection settings or the URL).</source>
        <translation>Redis sur %1 demande un mot de passe (indiquez-le dans les réglages de connexion ou dans l’URL).</translation>
    </message>
</context>
<context>
    <name>mldeck::RedisConnection::Impl</name>
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
</context>
<context>
    <name>mldeck::RedisEndpoint</name>
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
    <name>mldeck::ServingPolicy</name>
    <message>
        <source>the model returned no prediction</source>
        <translation>le modèle n’a renvoyé aucune prédiction</translation>
    </message>
    <message>
        <source>model server error (simulated fault)</source>
        <translation>erreur du serveur de modèle (panne simulée)</translation>
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
    <name>mldeck::Simulator</name>
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
        <source>Writes synthetic ride-delay data (features, delay_min, ts) as CSV.</source>
        <translation>Écrit des données synthétiques de retard de courses (variables, delay_min, ts) en CSV.</translation>
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
        <source>&quot;%1&quot; is not a valid deployment name (lower-case letter first, then a-z, 0-9, _ or -).</source>
        <translation>« %1 » n’est pas un nom de déploiement valide (une minuscule d’abord, puis a-z, 0-9, _ ou -).</translation>
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
        <source>Change the flags of a deployment (compare-and-set on the version). Exit code 1 when someone else changed them in between.</source>
        <translation>Change les drapeaux d’un déploiement (comparer-et-écrire sur la version). Code de sortie 1 si quelqu’un d’autre les a changés entre-temps.</translation>
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
        <source>Changed the flags of &quot;%1&quot;: version %2 -&gt; %3.</source>
        <translation>Drapeaux de « %1 » modifiés : version %2 -&gt; %3.</translation>
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
        <source>Usage: mldeckctl flags &lt;status|set|init|bucket&gt; [options]   (mldeckctl flags &lt;sub&gt; --help)

  status   show the flags of a deployment
  set      change them (compare-and-set on the version)
  init     create them if they do not exist
  bucket   show the bucket of request keys</source>
        <translation>Usage : mldeckctl flags &lt;status|set|init|bucket&gt; [options]   (mldeckctl flags &lt;sous-commande&gt; --help)

  status   affiche les drapeaux d’un déploiement
  set      les modifie (comparer-et-écrire sur la version)
  init     les crée s’ils n’existent pas
  bucket   affiche le compartiment de clés de requête</translation>
    </message>
    <message>
        <source>unknown flags command &quot;%1&quot;</source>
        <translation>commande flags « %1 » inconnue</translation>
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
        <source>TorchScript model for the ML path (default: the demo MLP).</source>
        <translation>Modèle TorchScript pour la voie ML (par défaut : le MLP de démo).</translation>
    </message>
    <message>
        <source>Play a scenario: drift, errors, latency or degraded, as NAME[@START][+DURATION]; repeatable.</source>
        <translation>Jouer un scénario : drift, errors, latency ou degraded, sous la forme NOM[@DÉBUT][+DURÉE] ; répétable.</translation>
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
        <source>Acts as the production serving backend: follows the flags live, routes each request to the model or the heuristic, and logs predictions, outcomes and feedback to PostgreSQL. Ctrl-C flushes what is buffered.</source>
        <translation>Joue le rôle du backend de production : suit les drapeaux en direct, envoie chaque requête au modèle ou à l’heuristique et journalise prédictions, résultats réels et retours dans PostgreSQL. Ctrl-C écrit ce qui est en tampon.</translation>
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
        <source>Check the connections to Redis and PostgreSQL once.
Exit code 0 when both are up, 2 when either is unreachable.</source>
        <translation>Vérifie une fois les connexions à Redis et PostgreSQL.
Code de sortie 0 quand les deux sont disponibles, 2 quand l’un est injoignable.</translation>
    </message>
    <message>
        <source>%1 is unreachable: %2</source>
        <translation>%1 est injoignable : %2</translation>
    </message>
    <message>
        <source>%1 at %2 is unreachable: %3</source>
        <translation>%1 sur %2 est injoignable : %3</translation>
    </message>
</context>
<context>
    <name>mldeck::pg</name>
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
</context>
<context>
    <name>mldeck::pgtext</name>
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
</context>
<context>
    <name>mldeck::ui::AlertsDriftPage</name>
    <message>
        <source>Know when live data stops looking like the training data.</source>
        <translation>Savoir quand les données réelles ne ressemblent plus aux données d’entraînement.</translation>
    </message>
    <message>
        <source>Feature drift and alerts</source>
        <translation>Dérive des variables et alertes</translation>
    </message>
    <message>
        <source>This page will compare the live window with the reference window feature by feature (statistical test, p-value, effect size and PSI) and list the alerts raised by the guard, so that they can be acknowledged. It is not built yet.</source>
        <translation>Cette page comparera la fenêtre en direct à la fenêtre de référence, variable par variable (test statistique, valeur p, taille d’effet et PSI), et listera les alertes levées par la garde pour qu’on puisse en accuser réception. Elle n’est pas encore construite.</translation>
    </message>
    <message>
        <source>Not built yet</source>
        <translation>Pas encore construite</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::AuditPage</name>
    <message>
        <source>Who changed what, and when.</source>
        <translation>Qui a changé quoi, et quand.</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>Journal d’audit</translation>
    </message>
    <message>
        <source>This page will show the append-only audit log of every change — flags, promotions, rollbacks, acknowledgements — with who made it, when, and the values before and after. It is not built yet.</source>
        <translation>Cette page affichera le journal d’audit, en ajout seul, de chaque changement — drapeaux, promotions, retours arrière, accusés de réception — avec son auteur, sa date et les valeurs avant et après. Elle n’est pas encore construite.</translation>
    </message>
    <message>
        <source>Not built yet</source>
        <translation>Pas encore construite</translation>
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
    <name>mldeck::ui::DashboardPage</name>
    <message>
        <source>How the model is doing, at a glance.</source>
        <translation>L’état du modèle, d’un coup d’œil.</translation>
    </message>
    <message>
        <source>Key figures of the model in production</source>
        <translation>Chiffres clés du modèle en production</translation>
    </message>
    <message>
        <source>This page will show MAE, RMSE, R², latency p50/p95/p99, error rate and fallback share over time, the ML path against the heuristic, business KPIs and the targets of the deployment guide, with PDF and CSV export. It is not built yet, so no figures are shown here.</source>
        <translation>Cette page montrera dans le temps la MAE, la RMSE, le R², la latence p50/p95/p99, le taux d’erreur et la part de repli, la voie ML face à l’heuristique, les indicateurs métier et les objectifs du guide de déploiement, avec export PDF et CSV. Elle n’est pas encore construite : aucun chiffre n’est donc affiché ici.</translation>
    </message>
    <message>
        <source>Not built yet</source>
        <translation>Pas encore construite</translation>
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
</context>
<context>
    <name>mldeck::ui::InfoBar</name>
    <message>
        <source>Dismiss</source>
        <translation>Fermer</translation>
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
</context>
<context>
    <name>mldeck::ui::ModelsPage</name>
    <message>
        <source>Every model version, verified and comparable.</source>
        <translation>Chaque version du modèle, vérifiée et comparable.</translation>
    </message>
    <message>
        <source>Model registry</source>
        <translation>Registre des modèles</translation>
    </message>
    <message>
        <source>This page will list the registered TorchScript models with their SHA-256, feature schema and offline metrics, compare two versions side by side and promote the better one. It is not built yet.</source>
        <translation>Cette page listera les modèles TorchScript enregistrés avec leur SHA-256, leur schéma de variables et leurs métriques hors ligne, comparera deux versions côte à côte et promouvra la meilleure. Elle n’est pas encore construite.</translation>
    </message>
    <message>
        <source>Not built yet</source>
        <translation>Pas encore construite</translation>
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
</context>
<context>
    <name>mldeck::ui::RetrainPage</name>
    <message>
        <source>Train a new candidate on recent data.</source>
        <translation>Entraîner un nouveau candidat sur des données récentes.</translation>
    </message>
    <message>
        <source>Retraining runs</source>
        <translation>Réentraînements</translation>
    </message>
    <message>
        <source>This page will hold a wizard that launches a retrain on a chosen time window, follows its progress and compares the candidate with the model in production before anyone promotes it. It is not built yet.</source>
        <translation>Cette page accueillera un assistant qui lance un réentraînement sur une période choisie, suit sa progression et compare le candidat au modèle en production avant toute promotion. Elle n’est pas encore construite.</translation>
    </message>
    <message>
        <source>Not built yet</source>
        <translation>Pas encore construite</translation>
    </message>
</context>
<context>
    <name>mldeck::ui::RolloutPage</name>
    <message>
        <source>Move traffic to the model, or take it back.</source>
        <translation>Envoyer le trafic au modèle, ou le lui reprendre.</translation>
    </message>
    <message>
        <source>Rollout flags and guardrails</source>
        <translation>Drapeaux de déploiement et garde-fous</translation>
    </message>
    <message>
        <source>This page will show the flags of each deployment (ML on or off, traffic percentage, fallback on error) and let operators move the rollout step by step (10 → 25 → 50 → 100 %), watch the guardrails and press Rollback. It is not built yet: use mldeckctl flags in the meantime.</source>
        <translation>Cette page affichera les drapeaux de chaque déploiement (ML activé ou non, pourcentage de trafic, repli en cas d’erreur) et permettra aux opérateurs d’avancer le déploiement par étapes (10 → 25 → 50 → 100 %), de surveiller les garde-fous et d’appuyer sur Retour arrière. Elle n’est pas encore construite : utilisez mldeckctl flags en attendant.</translation>
    </message>
    <message>
        <source>Not built yet</source>
        <translation>Pas encore construite</translation>
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
    <name>mldeckctl</name>
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
        <source>No PostgreSQL given: pass --pg postgresql://user@host:port/db or set MLDECK_PG_URL.</source>
        <translation>Aucun PostgreSQL indiqué : passez --pg postgresql://utilisateur@hôte:port/base ou définissez MLDECK_PG_URL.</translation>
    </message>
    <message>
        <source>Create or upgrade the mldeck schema in PostgreSQL.</source>
        <translation>Crée ou met à jour le schéma mldeck dans PostgreSQL.</translation>
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
</context>
</TS>
