"""The exception class of each PostgreSQL SQLSTATE (psycopg 3 names).

Import them from `middleware.errors`, which re-exports everything here and
explains their use; this module only holds the class statements. Each class
subclasses the PEP 249 exception of its SQLSTATE class (the first two
characters of the code) and carries ``sqlstate`` (the code) and ``name`` (the
PostgreSQL condition name in upper case) as class attributes.

The list follows PostgreSQL's errcodes.txt (classes 00 and 01, success and
warnings, are not errors and have no class). Where two codes share a condition
name, the second class takes an ``Ext`` suffix, as in psycopg. To add a code,
add a class statement and its name in ``__all__``; tests/test_errors_unit.py
checks each base against ``errors._FALLBACK`` and the list against psycopg.
"""

from __future__ import annotations

from middleware.exceptions import (
    DatabaseError,
    DataError,
    IntegrityError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)

__all__ = [
    "ActiveSqlTransaction",
    "AdminShutdown",
    "AmbiguousAlias",
    "AmbiguousColumn",
    "AmbiguousFunction",
    "AmbiguousParameter",
    "ArraySubscriptError",
    "AssertFailure",
    "BadCopyFileFormat",
    "BranchTransactionAlreadyActive",
    "CannotCoerce",
    "CannotConnectNow",
    "CantChangeRuntimeParam",
    "CardinalityViolation",
    "CaseNotFound",
    "CharacterNotInRepertoire",
    "CheckViolation",
    "CollationMismatch",
    "ConfigFileError",
    "ConfigurationLimitExceeded",
    "ConnectionDoesNotExist",
    "ConnectionException",
    "ConnectionFailure",
    "ContainingSqlNotPermitted",
    "CrashShutdown",
    "DataCorrupted",
    "DataException",
    "DatabaseDropped",
    "DatatypeMismatch",
    "DatetimeFieldOverflow",
    "DeadlockDetected",
    "DependentObjectsStillExist",
    "DependentPrivilegeDescriptorsStillExist",
    "DiagnosticsException",
    "DiskFull",
    "DivisionByZero",
    "DuplicateAlias",
    "DuplicateColumn",
    "DuplicateCursor",
    "DuplicateDatabase",
    "DuplicateFile",
    "DuplicateFunction",
    "DuplicateJsonObjectKeyValue",
    "DuplicateObject",
    "DuplicatePreparedStatement",
    "DuplicateSchema",
    "DuplicateTable",
    "ErrorInAssignment",
    "EscapeCharacterConflict",
    "EventTriggerProtocolViolated",
    "ExclusionViolation",
    "ExternalRoutineException",
    "ExternalRoutineInvocationException",
    "FdwColumnNameNotFound",
    "FdwDynamicParameterValueNeeded",
    "FdwError",
    "FdwFunctionSequenceError",
    "FdwInconsistentDescriptorInformation",
    "FdwInvalidAttributeValue",
    "FdwInvalidColumnName",
    "FdwInvalidColumnNumber",
    "FdwInvalidDataType",
    "FdwInvalidDataTypeDescriptors",
    "FdwInvalidDescriptorFieldIdentifier",
    "FdwInvalidHandle",
    "FdwInvalidOptionIndex",
    "FdwInvalidOptionName",
    "FdwInvalidStringFormat",
    "FdwInvalidStringLengthOrBufferLength",
    "FdwInvalidUseOfNullPointer",
    "FdwNoSchemas",
    "FdwOptionNameNotFound",
    "FdwOutOfMemory",
    "FdwReplyHandle",
    "FdwSchemaNotFound",
    "FdwTableNotFound",
    "FdwTooManyHandles",
    "FdwUnableToCreateExecution",
    "FdwUnableToCreateReply",
    "FdwUnableToEstablishConnection",
    "FeatureNotSupported",
    "FileNameTooLong",
    "FloatingPointException",
    "ForeignKeyViolation",
    "FunctionExecutedNoReturnStatement",
    "GeneratedAlways",
    "GroupingError",
    "HeldCursorRequiresSameIsolationLevel",
    "IdleInTransactionSessionTimeout",
    "IdleSessionTimeout",
    "InFailedSqlTransaction",
    "InappropriateAccessModeForBranchTransaction",
    "InappropriateIsolationLevelForBranchTransaction",
    "IndeterminateCollation",
    "IndeterminateDatatype",
    "IndexCorrupted",
    "IndicatorOverflow",
    "InsufficientPrivilege",
    "InsufficientResources",
    "IntegrityConstraintViolation",
    "InternalError_",
    "IntervalFieldOverflow",
    "InvalidArgumentForLogarithm",
    "InvalidArgumentForNthValueFunction",
    "InvalidArgumentForNtileFunction",
    "InvalidArgumentForPowerFunction",
    "InvalidArgumentForSqlJsonDatetimeFunction",
    "InvalidArgumentForWidthBucketFunction",
    "InvalidArgumentForXquery",
    "InvalidAuthorizationSpecification",
    "InvalidBinaryRepresentation",
    "InvalidCatalogName",
    "InvalidCharacterValueForCast",
    "InvalidColumnDefinition",
    "InvalidColumnReference",
    "InvalidCursorDefinition",
    "InvalidCursorName",
    "InvalidCursorState",
    "InvalidDatabaseDefinition",
    "InvalidDatetimeFormat",
    "InvalidEscapeCharacter",
    "InvalidEscapeOctet",
    "InvalidEscapeSequence",
    "InvalidForeignKey",
    "InvalidFunctionDefinition",
    "InvalidGrantOperation",
    "InvalidGrantor",
    "InvalidIndicatorParameterValue",
    "InvalidJsonText",
    "InvalidLocatorSpecification",
    "InvalidName",
    "InvalidObjectDefinition",
    "InvalidParameterValue",
    "InvalidPassword",
    "InvalidPrecedingOrFollowingSize",
    "InvalidPreparedStatementDefinition",
    "InvalidRecursion",
    "InvalidRegularExpression",
    "InvalidRoleSpecification",
    "InvalidRowCountInLimitClause",
    "InvalidRowCountInResultOffsetClause",
    "InvalidSavepointSpecification",
    "InvalidSchemaDefinition",
    "InvalidSchemaName",
    "InvalidSqlJsonSubscript",
    "InvalidSqlStatementName",
    "InvalidSqlstateReturned",
    "InvalidTableDefinition",
    "InvalidTablesampleArgument",
    "InvalidTablesampleRepeat",
    "InvalidTextRepresentation",
    "InvalidTimeZoneDisplacementValue",
    "InvalidTransactionInitiation",
    "InvalidTransactionState",
    "InvalidTransactionTermination",
    "InvalidUseOfEscapeCharacter",
    "InvalidXmlComment",
    "InvalidXmlContent",
    "InvalidXmlDocument",
    "InvalidXmlProcessingInstruction",
    "IoError",
    "LocatorException",
    "LockFileExists",
    "LockNotAvailable",
    "ModifyingSqlDataNotPermitted",
    "ModifyingSqlDataNotPermittedExt",
    "MoreThanOneSqlJsonItem",
    "MostSpecificTypeMismatch",
    "NameTooLong",
    "NoActiveSqlTransaction",
    "NoActiveSqlTransactionForBranchTransaction",
    "NoAdditionalDynamicResultSetsReturned",
    "NoData",
    "NoDataFound",
    "NoSqlJsonItem",
    "NonNumericSqlJsonItem",
    "NonUniqueKeysInAJsonObject",
    "NonstandardUseOfEscapeCharacter",
    "NotAnXmlDocument",
    "NotNullViolation",
    "NullValueNoIndicatorParameter",
    "NullValueNotAllowed",
    "NullValueNotAllowedExt",
    "NumericValueOutOfRange",
    "ObjectInUse",
    "ObjectNotInPrerequisiteState",
    "OperatorIntervention",
    "OutOfMemory",
    "PlpgsqlError",
    "ProgramLimitExceeded",
    "ProhibitedSqlStatementAttempted",
    "ProhibitedSqlStatementAttemptedExt",
    "ProtocolViolation",
    "QueryCanceled",
    "RaiseException",
    "ReadOnlySqlTransaction",
    "ReadingSqlDataNotPermitted",
    "ReadingSqlDataNotPermittedExt",
    "ReservedName",
    "RestrictViolation",
    "SavepointException",
    "SchemaAndDataStatementMixingNotSupported",
    "SequenceGeneratorLimitExceeded",
    "SerializationFailure",
    "SingletonSqlJsonItemRequired",
    "SnapshotTooOld",
    "SqlJsonArrayNotFound",
    "SqlJsonItemCannotBeCastToTargetType",
    "SqlJsonMemberNotFound",
    "SqlJsonNumberNotFound",
    "SqlJsonObjectNotFound",
    "SqlJsonScalarRequired",
    "SqlRoutineException",
    "SqlStatementNotYetComplete",
    "SqlclientUnableToEstablishSqlconnection",
    "SqlserverRejectedEstablishmentOfSqlconnection",
    "SrfProtocolViolated",
    "StackedDiagnosticsAccessedWithoutActiveHandler",
    "StatementCompletionUnknown",
    "StatementTooComplex",
    "StringDataLengthMismatch",
    "StringDataRightTruncation",
    "SubstringError",
    "SyntaxError",
    "SyntaxErrorOrAccessRuleViolation",
    "SystemError",
    "TooManyArguments",
    "TooManyColumns",
    "TooManyConnections",
    "TooManyJsonArrayElements",
    "TooManyJsonObjectMembers",
    "TooManyRows",
    "TransactionIntegrityConstraintViolation",
    "TransactionResolutionUnknown",
    "TransactionRollback",
    "TransactionTimeout",
    "TriggerProtocolViolated",
    "TriggeredActionException",
    "TriggeredDataChangeViolation",
    "TrimError",
    "UndefinedColumn",
    "UndefinedFile",
    "UndefinedFunction",
    "UndefinedObject",
    "UndefinedParameter",
    "UndefinedTable",
    "UniqueViolation",
    "UnsafeNewEnumValueUsage",
    "UnterminatedCString",
    "UntranslatableCharacter",
    "WindowingError",
    "WithCheckOptionViolation",
    "WrongObjectType",
    "ZeroLengthCharacterString",
]


# Class 02: No Data (this is also a warning class per the SQL standard)


class NoData(DatabaseError):
    """No data (SQLSTATE 02000)."""

    sqlstate, name = "02000", "NO_DATA"


class NoAdditionalDynamicResultSetsReturned(DatabaseError):
    """No additional dynamic result sets returned (SQLSTATE 02001)."""

    sqlstate, name = "02001", "NO_ADDITIONAL_DYNAMIC_RESULT_SETS_RETURNED"


# Class 03: SQL Statement Not Yet Complete


class SqlStatementNotYetComplete(DatabaseError):
    """SQL statement not yet complete (SQLSTATE 03000)."""

    sqlstate, name = "03000", "SQL_STATEMENT_NOT_YET_COMPLETE"


# Class 08: Connection Exception


class ConnectionException(OperationalError):
    """Connection exception (SQLSTATE 08000)."""

    sqlstate, name = "08000", "CONNECTION_EXCEPTION"


class SqlclientUnableToEstablishSqlconnection(OperationalError):
    """The client could not establish the connection (SQLSTATE 08001)."""

    sqlstate, name = "08001", "SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION"


class ConnectionDoesNotExist(OperationalError):
    """The connection does not exist (SQLSTATE 08003)."""

    sqlstate, name = "08003", "CONNECTION_DOES_NOT_EXIST"


class SqlserverRejectedEstablishmentOfSqlconnection(OperationalError):
    """The server rejected the connection (SQLSTATE 08004)."""

    sqlstate, name = "08004", "SQLSERVER_REJECTED_ESTABLISHMENT_OF_SQLCONNECTION"


class ConnectionFailure(OperationalError):
    """The connection failed or was lost (SQLSTATE 08006)."""

    sqlstate, name = "08006", "CONNECTION_FAILURE"


class TransactionResolutionUnknown(OperationalError):
    """The connection was lost during COMMIT: the outcome of the transaction is unknown (SQLSTATE 08007)."""

    sqlstate, name = "08007", "TRANSACTION_RESOLUTION_UNKNOWN"


class ProtocolViolation(OperationalError):
    """The server received a message that breaks the wire protocol (SQLSTATE 08P01)."""

    sqlstate, name = "08P01", "PROTOCOL_VIOLATION"


# Class 09: Triggered Action Exception


class TriggeredActionException(DatabaseError):
    """Triggered action exception (SQLSTATE 09000)."""

    sqlstate, name = "09000", "TRIGGERED_ACTION_EXCEPTION"


# Class 0A: Feature Not Supported


class FeatureNotSupported(NotSupportedError):
    """A feature the server does not support was used (SQLSTATE 0A000)."""

    sqlstate, name = "0A000", "FEATURE_NOT_SUPPORTED"


# Class 0B: Invalid Transaction Initiation


class InvalidTransactionInitiation(DatabaseError):
    """Invalid transaction initiation (SQLSTATE 0B000)."""

    sqlstate, name = "0B000", "INVALID_TRANSACTION_INITIATION"


# Class 0F: Locator Exception


class LocatorException(DatabaseError):
    """Locator exception (SQLSTATE 0F000)."""

    sqlstate, name = "0F000", "LOCATOR_EXCEPTION"


class InvalidLocatorSpecification(DatabaseError):
    """Invalid locator specification (SQLSTATE 0F001)."""

    sqlstate, name = "0F001", "INVALID_LOCATOR_SPECIFICATION"


# Class 0L: Invalid Grantor


class InvalidGrantor(DatabaseError):
    """Invalid grantor (SQLSTATE 0L000)."""

    sqlstate, name = "0L000", "INVALID_GRANTOR"


class InvalidGrantOperation(DatabaseError):
    """Invalid grant operation (SQLSTATE 0LP01)."""

    sqlstate, name = "0LP01", "INVALID_GRANT_OPERATION"


# Class 0P: Invalid Role Specification


class InvalidRoleSpecification(DatabaseError):
    """Invalid role specification (SQLSTATE 0P000)."""

    sqlstate, name = "0P000", "INVALID_ROLE_SPECIFICATION"


# Class 0Z: Diagnostics Exception


class DiagnosticsException(DatabaseError):
    """Diagnostics exception (SQLSTATE 0Z000)."""

    sqlstate, name = "0Z000", "DIAGNOSTICS_EXCEPTION"


class StackedDiagnosticsAccessedWithoutActiveHandler(DatabaseError):
    """Stacked diagnostics accessed without active handler (SQLSTATE 0Z002)."""

    sqlstate, name = "0Z002", "STACKED_DIAGNOSTICS_ACCESSED_WITHOUT_ACTIVE_HANDLER"


# Class 10: XQuery Error


class InvalidArgumentForXquery(ProgrammingError):
    """Invalid argument for XQuery (SQLSTATE 10608)."""

    sqlstate, name = "10608", "INVALID_ARGUMENT_FOR_XQUERY"


# Class 20: Case Not Found


class CaseNotFound(ProgrammingError):
    """A PL/pgSQL CASE matched no branch and has no ELSE (SQLSTATE 20000)."""

    sqlstate, name = "20000", "CASE_NOT_FOUND"


# Class 21: Cardinality Violation


class CardinalityViolation(ProgrammingError):
    """Cardinality violation, e.g. a subquery used as a value returned more than one row (SQLSTATE 21000)."""

    sqlstate, name = "21000", "CARDINALITY_VIOLATION"


# Class 22: Data Exception


class DataException(DataError):
    """Data exception (SQLSTATE 22000)."""

    sqlstate, name = "22000", "DATA_EXCEPTION"


class StringDataRightTruncation(DataError):
    """A string is too long for its column type (SQLSTATE 22001)."""

    sqlstate, name = "22001", "STRING_DATA_RIGHT_TRUNCATION"


class NullValueNoIndicatorParameter(DataError):
    """A NULL value without an indicator parameter (SQLSTATE 22002)."""

    sqlstate, name = "22002", "NULL_VALUE_NO_INDICATOR_PARAMETER"


class NumericValueOutOfRange(DataError):
    """A numeric value is out of range for its type (SQLSTATE 22003)."""

    sqlstate, name = "22003", "NUMERIC_VALUE_OUT_OF_RANGE"


class NullValueNotAllowed(DataError):
    """A NULL value is not allowed here (SQLSTATE 22004)."""

    sqlstate, name = "22004", "NULL_VALUE_NOT_ALLOWED"


class ErrorInAssignment(DataError):
    """Error in assignment (SQLSTATE 22005)."""

    sqlstate, name = "22005", "ERROR_IN_ASSIGNMENT"


class InvalidDatetimeFormat(DataError):
    """A date/time value has an invalid format (SQLSTATE 22007)."""

    sqlstate, name = "22007", "INVALID_DATETIME_FORMAT"


class DatetimeFieldOverflow(DataError):
    """A date/time field is out of range (SQLSTATE 22008)."""

    sqlstate, name = "22008", "DATETIME_FIELD_OVERFLOW"


class InvalidTimeZoneDisplacementValue(DataError):
    """A time zone displacement value is invalid (SQLSTATE 22009)."""

    sqlstate, name = "22009", "INVALID_TIME_ZONE_DISPLACEMENT_VALUE"


class EscapeCharacterConflict(DataError):
    """Escape character conflict (SQLSTATE 2200B)."""

    sqlstate, name = "2200B", "ESCAPE_CHARACTER_CONFLICT"


class InvalidUseOfEscapeCharacter(DataError):
    """Invalid use of escape character (SQLSTATE 2200C)."""

    sqlstate, name = "2200C", "INVALID_USE_OF_ESCAPE_CHARACTER"


class InvalidEscapeOctet(DataError):
    """Invalid escape octet (SQLSTATE 2200D)."""

    sqlstate, name = "2200D", "INVALID_ESCAPE_OCTET"


class ZeroLengthCharacterString(DataError):
    """Zero length character string (SQLSTATE 2200F)."""

    sqlstate, name = "2200F", "ZERO_LENGTH_CHARACTER_STRING"


class MostSpecificTypeMismatch(DataError):
    """Most specific type mismatch (SQLSTATE 2200G)."""

    sqlstate, name = "2200G", "MOST_SPECIFIC_TYPE_MISMATCH"


class SequenceGeneratorLimitExceeded(DataError):
    """A sequence reached its limit in nextval() (SQLSTATE 2200H)."""

    sqlstate, name = "2200H", "SEQUENCE_GENERATOR_LIMIT_EXCEEDED"


class NotAnXmlDocument(DataError):
    """Not an XML document (SQLSTATE 2200L)."""

    sqlstate, name = "2200L", "NOT_AN_XML_DOCUMENT"


class InvalidXmlDocument(DataError):
    """Invalid XML document (SQLSTATE 2200M)."""

    sqlstate, name = "2200M", "INVALID_XML_DOCUMENT"


class InvalidXmlContent(DataError):
    """Invalid XML content (SQLSTATE 2200N)."""

    sqlstate, name = "2200N", "INVALID_XML_CONTENT"


class InvalidXmlComment(DataError):
    """Invalid XML comment (SQLSTATE 2200S)."""

    sqlstate, name = "2200S", "INVALID_XML_COMMENT"


class InvalidXmlProcessingInstruction(DataError):
    """Invalid XML processing instruction (SQLSTATE 2200T)."""

    sqlstate, name = "2200T", "INVALID_XML_PROCESSING_INSTRUCTION"


class InvalidIndicatorParameterValue(DataError):
    """Invalid indicator parameter value (SQLSTATE 22010)."""

    sqlstate, name = "22010", "INVALID_INDICATOR_PARAMETER_VALUE"


class SubstringError(DataError):
    """Substring error (SQLSTATE 22011)."""

    sqlstate, name = "22011", "SUBSTRING_ERROR"


class DivisionByZero(DataError):
    """Division by zero (SQLSTATE 22012)."""

    sqlstate, name = "22012", "DIVISION_BY_ZERO"


class InvalidPrecedingOrFollowingSize(DataError):
    """Invalid preceding or following size (SQLSTATE 22013)."""

    sqlstate, name = "22013", "INVALID_PRECEDING_OR_FOLLOWING_SIZE"


class InvalidArgumentForNtileFunction(DataError):
    """Invalid argument for ntile function (SQLSTATE 22014)."""

    sqlstate, name = "22014", "INVALID_ARGUMENT_FOR_NTILE_FUNCTION"


class IntervalFieldOverflow(DataError):
    """An interval field is out of range (SQLSTATE 22015)."""

    sqlstate, name = "22015", "INTERVAL_FIELD_OVERFLOW"


class InvalidArgumentForNthValueFunction(DataError):
    """Invalid argument for nth value function (SQLSTATE 22016)."""

    sqlstate, name = "22016", "INVALID_ARGUMENT_FOR_NTH_VALUE_FUNCTION"


class InvalidCharacterValueForCast(DataError):
    """A value cannot be cast to the target type (SQLSTATE 22018)."""

    sqlstate, name = "22018", "INVALID_CHARACTER_VALUE_FOR_CAST"


class InvalidEscapeCharacter(DataError):
    """Invalid escape character (SQLSTATE 22019)."""

    sqlstate, name = "22019", "INVALID_ESCAPE_CHARACTER"


class InvalidRegularExpression(DataError):
    """A regular expression is invalid (SQLSTATE 2201B)."""

    sqlstate, name = "2201B", "INVALID_REGULAR_EXPRESSION"


class InvalidArgumentForLogarithm(DataError):
    """Invalid argument for logarithm (SQLSTATE 2201E)."""

    sqlstate, name = "2201E", "INVALID_ARGUMENT_FOR_LOGARITHM"


class InvalidArgumentForPowerFunction(DataError):
    """Invalid argument for power function (SQLSTATE 2201F)."""

    sqlstate, name = "2201F", "INVALID_ARGUMENT_FOR_POWER_FUNCTION"


class InvalidArgumentForWidthBucketFunction(DataError):
    """Invalid argument for width bucket function (SQLSTATE 2201G)."""

    sqlstate, name = "2201G", "INVALID_ARGUMENT_FOR_WIDTH_BUCKET_FUNCTION"


class InvalidRowCountInLimitClause(DataError):
    """The LIMIT row count is invalid (SQLSTATE 2201W)."""

    sqlstate, name = "2201W", "INVALID_ROW_COUNT_IN_LIMIT_CLAUSE"


class InvalidRowCountInResultOffsetClause(DataError):
    """The OFFSET row count is invalid (SQLSTATE 2201X)."""

    sqlstate, name = "2201X", "INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE"


class CharacterNotInRepertoire(DataError):
    """A character is not valid in the encoding (SQLSTATE 22021)."""

    sqlstate, name = "22021", "CHARACTER_NOT_IN_REPERTOIRE"


class IndicatorOverflow(DataError):
    """Indicator overflow (SQLSTATE 22022)."""

    sqlstate, name = "22022", "INDICATOR_OVERFLOW"


class InvalidParameterValue(DataError):
    """A parameter has an invalid value (SQLSTATE 22023)."""

    sqlstate, name = "22023", "INVALID_PARAMETER_VALUE"


class UnterminatedCString(DataError):
    """Unterminated C string (SQLSTATE 22024)."""

    sqlstate, name = "22024", "UNTERMINATED_C_STRING"


class InvalidEscapeSequence(DataError):
    """An escape sequence is invalid (SQLSTATE 22025)."""

    sqlstate, name = "22025", "INVALID_ESCAPE_SEQUENCE"


class StringDataLengthMismatch(DataError):
    """String data length mismatch (SQLSTATE 22026)."""

    sqlstate, name = "22026", "STRING_DATA_LENGTH_MISMATCH"


class TrimError(DataError):
    """Trim error (SQLSTATE 22027)."""

    sqlstate, name = "22027", "TRIM_ERROR"


class ArraySubscriptError(DataError):
    """An array subscript is out of range or invalid (SQLSTATE 2202E)."""

    sqlstate, name = "2202E", "ARRAY_SUBSCRIPT_ERROR"


class InvalidTablesampleRepeat(DataError):
    """Invalid TABLESAMPLE repeat (SQLSTATE 2202G)."""

    sqlstate, name = "2202G", "INVALID_TABLESAMPLE_REPEAT"


class InvalidTablesampleArgument(DataError):
    """Invalid TABLESAMPLE argument (SQLSTATE 2202H)."""

    sqlstate, name = "2202H", "INVALID_TABLESAMPLE_ARGUMENT"


class DuplicateJsonObjectKeyValue(DataError):
    """Duplicate JSON object key value (SQLSTATE 22030)."""

    sqlstate, name = "22030", "DUPLICATE_JSON_OBJECT_KEY_VALUE"


class InvalidArgumentForSqlJsonDatetimeFunction(DataError):
    """Invalid argument for SQL JSON datetime function (SQLSTATE 22031)."""

    sqlstate, name = "22031", "INVALID_ARGUMENT_FOR_SQL_JSON_DATETIME_FUNCTION"


class InvalidJsonText(DataError):
    """The JSON text is invalid (SQLSTATE 22032)."""

    sqlstate, name = "22032", "INVALID_JSON_TEXT"


class InvalidSqlJsonSubscript(DataError):
    """Invalid SQL JSON subscript (SQLSTATE 22033)."""

    sqlstate, name = "22033", "INVALID_SQL_JSON_SUBSCRIPT"


class MoreThanOneSqlJsonItem(DataError):
    """More than one SQL JSON item (SQLSTATE 22034)."""

    sqlstate, name = "22034", "MORE_THAN_ONE_SQL_JSON_ITEM"


class NoSqlJsonItem(DataError):
    """No SQL JSON item (SQLSTATE 22035)."""

    sqlstate, name = "22035", "NO_SQL_JSON_ITEM"


class NonNumericSqlJsonItem(DataError):
    """Non numeric SQL JSON item (SQLSTATE 22036)."""

    sqlstate, name = "22036", "NON_NUMERIC_SQL_JSON_ITEM"


class NonUniqueKeysInAJsonObject(DataError):
    """Non unique keys in a JSON object (SQLSTATE 22037)."""

    sqlstate, name = "22037", "NON_UNIQUE_KEYS_IN_A_JSON_OBJECT"


class SingletonSqlJsonItemRequired(DataError):
    """Singleton SQL JSON item required (SQLSTATE 22038)."""

    sqlstate, name = "22038", "SINGLETON_SQL_JSON_ITEM_REQUIRED"


class SqlJsonArrayNotFound(DataError):
    """SQL JSON array not found (SQLSTATE 22039)."""

    sqlstate, name = "22039", "SQL_JSON_ARRAY_NOT_FOUND"


class SqlJsonMemberNotFound(DataError):
    """SQL JSON member not found (SQLSTATE 2203A)."""

    sqlstate, name = "2203A", "SQL_JSON_MEMBER_NOT_FOUND"


class SqlJsonNumberNotFound(DataError):
    """SQL JSON number not found (SQLSTATE 2203B)."""

    sqlstate, name = "2203B", "SQL_JSON_NUMBER_NOT_FOUND"


class SqlJsonObjectNotFound(DataError):
    """SQL JSON object not found (SQLSTATE 2203C)."""

    sqlstate, name = "2203C", "SQL_JSON_OBJECT_NOT_FOUND"


class TooManyJsonArrayElements(DataError):
    """Too many JSON array elements (SQLSTATE 2203D)."""

    sqlstate, name = "2203D", "TOO_MANY_JSON_ARRAY_ELEMENTS"


class TooManyJsonObjectMembers(DataError):
    """Too many JSON object members (SQLSTATE 2203E)."""

    sqlstate, name = "2203E", "TOO_MANY_JSON_OBJECT_MEMBERS"


class SqlJsonScalarRequired(DataError):
    """SQL JSON scalar required (SQLSTATE 2203F)."""

    sqlstate, name = "2203F", "SQL_JSON_SCALAR_REQUIRED"


class SqlJsonItemCannotBeCastToTargetType(DataError):
    """SQL JSON item cannot be cast to target type (SQLSTATE 2203G)."""

    sqlstate, name = "2203G", "SQL_JSON_ITEM_CANNOT_BE_CAST_TO_TARGET_TYPE"


class FloatingPointException(DataError):
    """Floating point exception (SQLSTATE 22P01)."""

    sqlstate, name = "22P01", "FLOATING_POINT_EXCEPTION"


class InvalidTextRepresentation(DataError):
    """Text cannot be read as the target type, e.g. 'abc'::int (SQLSTATE 22P02)."""

    sqlstate, name = "22P02", "INVALID_TEXT_REPRESENTATION"


class InvalidBinaryRepresentation(DataError):
    """The binary representation of a value is invalid (SQLSTATE 22P03)."""

    sqlstate, name = "22P03", "INVALID_BINARY_REPRESENTATION"


class BadCopyFileFormat(DataError):
    """COPY data are badly formatted (SQLSTATE 22P04)."""

    sqlstate, name = "22P04", "BAD_COPY_FILE_FORMAT"


class UntranslatableCharacter(DataError):
    """A character cannot be converted to the target encoding (SQLSTATE 22P05)."""

    sqlstate, name = "22P05", "UNTRANSLATABLE_CHARACTER"


class NonstandardUseOfEscapeCharacter(DataError):
    """Nonstandard use of escape character (SQLSTATE 22P06)."""

    sqlstate, name = "22P06", "NONSTANDARD_USE_OF_ESCAPE_CHARACTER"


# Class 23: Integrity Constraint Violation


class IntegrityConstraintViolation(IntegrityError):
    """Integrity constraint violation (SQLSTATE 23000)."""

    sqlstate, name = "23000", "INTEGRITY_CONSTRAINT_VIOLATION"


class RestrictViolation(IntegrityError):
    """A row is still referenced through a RESTRICT foreign key (SQLSTATE 23001)."""

    sqlstate, name = "23001", "RESTRICT_VIOLATION"


class NotNullViolation(IntegrityError):
    """A NOT NULL constraint was violated (SQLSTATE 23502)."""

    sqlstate, name = "23502", "NOT_NULL_VIOLATION"


class ForeignKeyViolation(IntegrityError):
    """A FOREIGN KEY constraint was violated (SQLSTATE 23503)."""

    sqlstate, name = "23503", "FOREIGN_KEY_VIOLATION"


class UniqueViolation(IntegrityError):
    """A UNIQUE or PRIMARY KEY constraint was violated (SQLSTATE 23505)."""

    sqlstate, name = "23505", "UNIQUE_VIOLATION"


class CheckViolation(IntegrityError):
    """A CHECK constraint was violated (SQLSTATE 23514)."""

    sqlstate, name = "23514", "CHECK_VIOLATION"


class ExclusionViolation(IntegrityError):
    """An EXCLUDE constraint was violated (SQLSTATE 23P01)."""

    sqlstate, name = "23P01", "EXCLUSION_VIOLATION"


# Class 24: Invalid Cursor State


class InvalidCursorState(InternalError):
    """The cursor is not in a state that allows the operation (SQLSTATE 24000)."""

    sqlstate, name = "24000", "INVALID_CURSOR_STATE"


# Class 25: Invalid Transaction State


class InvalidTransactionState(InternalError):
    """The transaction is not in a state that allows the operation (SQLSTATE 25000)."""

    sqlstate, name = "25000", "INVALID_TRANSACTION_STATE"


class ActiveSqlTransaction(InternalError):
    """The command cannot run inside a transaction block (SQLSTATE 25001)."""

    sqlstate, name = "25001", "ACTIVE_SQL_TRANSACTION"


class BranchTransactionAlreadyActive(InternalError):
    """Branch transaction already active (SQLSTATE 25002)."""

    sqlstate, name = "25002", "BRANCH_TRANSACTION_ALREADY_ACTIVE"


class InappropriateAccessModeForBranchTransaction(InternalError):
    """Inappropriate access mode for branch transaction (SQLSTATE 25003)."""

    sqlstate, name = "25003", "INAPPROPRIATE_ACCESS_MODE_FOR_BRANCH_TRANSACTION"


class InappropriateIsolationLevelForBranchTransaction(InternalError):
    """Inappropriate isolation level for branch transaction (SQLSTATE 25004)."""

    sqlstate, name = "25004", "INAPPROPRIATE_ISOLATION_LEVEL_FOR_BRANCH_TRANSACTION"


class NoActiveSqlTransactionForBranchTransaction(InternalError):
    """No active SQL transaction for branch transaction (SQLSTATE 25005)."""

    sqlstate, name = "25005", "NO_ACTIVE_SQL_TRANSACTION_FOR_BRANCH_TRANSACTION"


class ReadOnlySqlTransaction(InternalError):
    """A write was attempted in a read-only transaction (SQLSTATE 25006)."""

    sqlstate, name = "25006", "READ_ONLY_SQL_TRANSACTION"


class SchemaAndDataStatementMixingNotSupported(InternalError):
    """Schema and data statement mixing not supported (SQLSTATE 25007)."""

    sqlstate, name = "25007", "SCHEMA_AND_DATA_STATEMENT_MIXING_NOT_SUPPORTED"


class HeldCursorRequiresSameIsolationLevel(InternalError):
    """Held cursor requires same isolation level (SQLSTATE 25008)."""

    sqlstate, name = "25008", "HELD_CURSOR_REQUIRES_SAME_ISOLATION_LEVEL"


class NoActiveSqlTransaction(InternalError):
    """The command needs a transaction block and there is none (SQLSTATE 25P01)."""

    sqlstate, name = "25P01", "NO_ACTIVE_SQL_TRANSACTION"


class InFailedSqlTransaction(InternalError):
    """The transaction failed earlier: commands are ignored until ROLLBACK (SQLSTATE 25P02)."""

    sqlstate, name = "25P02", "IN_FAILED_SQL_TRANSACTION"


class IdleInTransactionSessionTimeout(InternalError):
    """The session stayed idle in a transaction too long and was terminated (SQLSTATE 25P03)."""

    sqlstate, name = "25P03", "IDLE_IN_TRANSACTION_SESSION_TIMEOUT"


class TransactionTimeout(InternalError):
    """The transaction ran past transaction_timeout (SQLSTATE 25P04)."""

    sqlstate, name = "25P04", "TRANSACTION_TIMEOUT"


# Class 26: Invalid SQL Statement Name


class InvalidSqlStatementName(ProgrammingError):
    """No prepared statement with that name (SQLSTATE 26000)."""

    sqlstate, name = "26000", "INVALID_SQL_STATEMENT_NAME"


# Class 27: Triggered Data Change Violation


class TriggeredDataChangeViolation(OperationalError):
    """Triggered data change violation (SQLSTATE 27000)."""

    sqlstate, name = "27000", "TRIGGERED_DATA_CHANGE_VIOLATION"


# Class 28: Invalid Authorization Specification


class InvalidAuthorizationSpecification(OperationalError):
    """The role does not exist or may not log in (SQLSTATE 28000)."""

    sqlstate, name = "28000", "INVALID_AUTHORIZATION_SPECIFICATION"


class InvalidPassword(OperationalError):
    """Password authentication failed (SQLSTATE 28P01)."""

    sqlstate, name = "28P01", "INVALID_PASSWORD"


# Class 2B: Dependent Privilege Descriptors Still Exist


class DependentPrivilegeDescriptorsStillExist(InternalError):
    """Dependent privilege descriptors still exist (SQLSTATE 2B000)."""

    sqlstate, name = "2B000", "DEPENDENT_PRIVILEGE_DESCRIPTORS_STILL_EXIST"


class DependentObjectsStillExist(InternalError):
    """Other objects still depend on the object; CASCADE would drop them too (SQLSTATE 2BP01)."""

    sqlstate, name = "2BP01", "DEPENDENT_OBJECTS_STILL_EXIST"


# Class 2D: Invalid Transaction Termination


class InvalidTransactionTermination(InternalError):
    """A transaction cannot be ended here (SQLSTATE 2D000)."""

    sqlstate, name = "2D000", "INVALID_TRANSACTION_TERMINATION"


# Class 2F: SQL Routine Exception


class SqlRoutineException(OperationalError):
    """SQL routine exception (SQLSTATE 2F000)."""

    sqlstate, name = "2F000", "SQL_ROUTINE_EXCEPTION"


class ModifyingSqlDataNotPermitted(OperationalError):
    """Modifying SQL data not permitted (SQLSTATE 2F002)."""

    sqlstate, name = "2F002", "MODIFYING_SQL_DATA_NOT_PERMITTED"


class ProhibitedSqlStatementAttempted(OperationalError):
    """Prohibited SQL statement attempted (SQLSTATE 2F003)."""

    sqlstate, name = "2F003", "PROHIBITED_SQL_STATEMENT_ATTEMPTED"


class ReadingSqlDataNotPermitted(OperationalError):
    """Reading SQL data not permitted (SQLSTATE 2F004)."""

    sqlstate, name = "2F004", "READING_SQL_DATA_NOT_PERMITTED"


class FunctionExecutedNoReturnStatement(OperationalError):
    """Function executed no return statement (SQLSTATE 2F005)."""

    sqlstate, name = "2F005", "FUNCTION_EXECUTED_NO_RETURN_STATEMENT"


# Class 34: Invalid Cursor Name


class InvalidCursorName(ProgrammingError):
    """No cursor with that name (SQLSTATE 34000)."""

    sqlstate, name = "34000", "INVALID_CURSOR_NAME"


# Class 38: External Routine Exception


class ExternalRoutineException(OperationalError):
    """External routine exception (SQLSTATE 38000)."""

    sqlstate, name = "38000", "EXTERNAL_ROUTINE_EXCEPTION"


class ContainingSqlNotPermitted(OperationalError):
    """Containing SQL not permitted (SQLSTATE 38001)."""

    sqlstate, name = "38001", "CONTAINING_SQL_NOT_PERMITTED"


class ModifyingSqlDataNotPermittedExt(OperationalError):
    """Modifying SQL data not permitted (SQLSTATE 38002)."""

    sqlstate, name = "38002", "MODIFYING_SQL_DATA_NOT_PERMITTED"


class ProhibitedSqlStatementAttemptedExt(OperationalError):
    """Prohibited SQL statement attempted (SQLSTATE 38003)."""

    sqlstate, name = "38003", "PROHIBITED_SQL_STATEMENT_ATTEMPTED"


class ReadingSqlDataNotPermittedExt(OperationalError):
    """Reading SQL data not permitted (SQLSTATE 38004)."""

    sqlstate, name = "38004", "READING_SQL_DATA_NOT_PERMITTED"


# Class 39: External Routine Invocation Exception


class ExternalRoutineInvocationException(OperationalError):
    """External routine invocation exception (SQLSTATE 39000)."""

    sqlstate, name = "39000", "EXTERNAL_ROUTINE_INVOCATION_EXCEPTION"


class InvalidSqlstateReturned(OperationalError):
    """Invalid SQLSTATE returned (SQLSTATE 39001)."""

    sqlstate, name = "39001", "INVALID_SQLSTATE_RETURNED"


class NullValueNotAllowedExt(OperationalError):
    """Null value not allowed (SQLSTATE 39004)."""

    sqlstate, name = "39004", "NULL_VALUE_NOT_ALLOWED"


class TriggerProtocolViolated(OperationalError):
    """Trigger protocol violated (SQLSTATE 39P01)."""

    sqlstate, name = "39P01", "TRIGGER_PROTOCOL_VIOLATED"


class SrfProtocolViolated(OperationalError):
    """Set-returning function protocol violated (SQLSTATE 39P02)."""

    sqlstate, name = "39P02", "SRF_PROTOCOL_VIOLATED"


class EventTriggerProtocolViolated(OperationalError):
    """Event trigger protocol violated (SQLSTATE 39P03)."""

    sqlstate, name = "39P03", "EVENT_TRIGGER_PROTOCOL_VIOLATED"


# Class 3B: Savepoint Exception


class SavepointException(OperationalError):
    """Savepoint exception (SQLSTATE 3B000)."""

    sqlstate, name = "3B000", "SAVEPOINT_EXCEPTION"


class InvalidSavepointSpecification(OperationalError):
    """No savepoint with that name (SQLSTATE 3B001)."""

    sqlstate, name = "3B001", "INVALID_SAVEPOINT_SPECIFICATION"


# Class 3D: Invalid Catalog Name


class InvalidCatalogName(ProgrammingError):
    """The database does not exist (SQLSTATE 3D000)."""

    sqlstate, name = "3D000", "INVALID_CATALOG_NAME"


# Class 3F: Invalid Schema Name


class InvalidSchemaName(ProgrammingError):
    """The schema does not exist (SQLSTATE 3F000)."""

    sqlstate, name = "3F000", "INVALID_SCHEMA_NAME"


# Class 40: Transaction Rollback


class TransactionRollback(OperationalError):
    """The transaction was rolled back (SQLSTATE 40000)."""

    sqlstate, name = "40000", "TRANSACTION_ROLLBACK"


class SerializationFailure(OperationalError):
    """The transaction could not be serialized: retry it (SQLSTATE 40001)."""

    sqlstate, name = "40001", "SERIALIZATION_FAILURE"


class TransactionIntegrityConstraintViolation(OperationalError):
    """A deferred constraint failed at commit, so the transaction was rolled back (SQLSTATE 40002)."""

    sqlstate, name = "40002", "TRANSACTION_INTEGRITY_CONSTRAINT_VIOLATION"


class StatementCompletionUnknown(OperationalError):
    """Statement completion unknown (SQLSTATE 40003)."""

    sqlstate, name = "40003", "STATEMENT_COMPLETION_UNKNOWN"


class DeadlockDetected(OperationalError):
    """A deadlock was detected and this transaction was chosen to abort: retry it (SQLSTATE 40P01)."""

    sqlstate, name = "40P01", "DEADLOCK_DETECTED"


# Class 42: Syntax Error or Access Rule Violation


class SyntaxErrorOrAccessRuleViolation(ProgrammingError):
    """Syntax error or access rule violation (SQLSTATE 42000)."""

    sqlstate, name = "42000", "SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION"


class InsufficientPrivilege(ProgrammingError):
    """The role lacks the privilege for the operation (SQLSTATE 42501)."""

    sqlstate, name = "42501", "INSUFFICIENT_PRIVILEGE"


class SyntaxError(ProgrammingError):
    """The SQL has a syntax error (SQLSTATE 42601)."""

    sqlstate, name = "42601", "SYNTAX_ERROR"


class InvalidName(ProgrammingError):
    """A name is invalid (SQLSTATE 42602)."""

    sqlstate, name = "42602", "INVALID_NAME"


class InvalidColumnDefinition(ProgrammingError):
    """Invalid column definition (SQLSTATE 42611)."""

    sqlstate, name = "42611", "INVALID_COLUMN_DEFINITION"


class NameTooLong(ProgrammingError):
    """A name is too long (SQLSTATE 42622)."""

    sqlstate, name = "42622", "NAME_TOO_LONG"


class DuplicateColumn(ProgrammingError):
    """A column name appears twice (SQLSTATE 42701)."""

    sqlstate, name = "42701", "DUPLICATE_COLUMN"


class AmbiguousColumn(ProgrammingError):
    """A column reference is ambiguous (SQLSTATE 42702)."""

    sqlstate, name = "42702", "AMBIGUOUS_COLUMN"


class UndefinedColumn(ProgrammingError):
    """The column does not exist (SQLSTATE 42703)."""

    sqlstate, name = "42703", "UNDEFINED_COLUMN"


class UndefinedObject(ProgrammingError):
    """The type, role, index or other object does not exist (SQLSTATE 42704)."""

    sqlstate, name = "42704", "UNDEFINED_OBJECT"


class DuplicateObject(ProgrammingError):
    """The object already exists (SQLSTATE 42710)."""

    sqlstate, name = "42710", "DUPLICATE_OBJECT"


class DuplicateAlias(ProgrammingError):
    """A table alias is used twice (SQLSTATE 42712)."""

    sqlstate, name = "42712", "DUPLICATE_ALIAS"


class DuplicateFunction(ProgrammingError):
    """The function already exists with the same argument types (SQLSTATE 42723)."""

    sqlstate, name = "42723", "DUPLICATE_FUNCTION"


class AmbiguousFunction(ProgrammingError):
    """A function call matches more than one function (SQLSTATE 42725)."""

    sqlstate, name = "42725", "AMBIGUOUS_FUNCTION"


class GroupingError(ProgrammingError):
    """A column must appear in GROUP BY or be used in an aggregate (SQLSTATE 42803)."""

    sqlstate, name = "42803", "GROUPING_ERROR"


class DatatypeMismatch(ProgrammingError):
    """A value has the wrong data type for where it is used (SQLSTATE 42804)."""

    sqlstate, name = "42804", "DATATYPE_MISMATCH"


class WrongObjectType(ProgrammingError):
    """The object is of the wrong type for the operation (SQLSTATE 42809)."""

    sqlstate, name = "42809", "WRONG_OBJECT_TYPE"


class InvalidForeignKey(ProgrammingError):
    """The foreign key definition is invalid (SQLSTATE 42830)."""

    sqlstate, name = "42830", "INVALID_FOREIGN_KEY"


class CannotCoerce(ProgrammingError):
    """A value cannot be cast to the requested type (SQLSTATE 42846)."""

    sqlstate, name = "42846", "CANNOT_COERCE"


class UndefinedFunction(ProgrammingError):
    """No function or operator matches the name and argument types (SQLSTATE 42883)."""

    sqlstate, name = "42883", "UNDEFINED_FUNCTION"


class GeneratedAlways(ProgrammingError):
    """A value was given for a GENERATED ALWAYS column (SQLSTATE 428C9)."""

    sqlstate, name = "428C9", "GENERATED_ALWAYS"


class ReservedName(ProgrammingError):
    """The name is reserved (SQLSTATE 42939)."""

    sqlstate, name = "42939", "RESERVED_NAME"


class UndefinedTable(ProgrammingError):
    """The table or view does not exist (SQLSTATE 42P01)."""

    sqlstate, name = "42P01", "UNDEFINED_TABLE"


class UndefinedParameter(ProgrammingError):
    """A query parameter ($1, ...) is not defined (SQLSTATE 42P02)."""

    sqlstate, name = "42P02", "UNDEFINED_PARAMETER"


class DuplicateCursor(ProgrammingError):
    """A cursor with that name already exists (SQLSTATE 42P03)."""

    sqlstate, name = "42P03", "DUPLICATE_CURSOR"


class DuplicateDatabase(ProgrammingError):
    """The database already exists (SQLSTATE 42P04)."""

    sqlstate, name = "42P04", "DUPLICATE_DATABASE"


class DuplicatePreparedStatement(ProgrammingError):
    """A prepared statement with that name already exists (SQLSTATE 42P05)."""

    sqlstate, name = "42P05", "DUPLICATE_PREPARED_STATEMENT"


class DuplicateSchema(ProgrammingError):
    """The schema already exists (SQLSTATE 42P06)."""

    sqlstate, name = "42P06", "DUPLICATE_SCHEMA"


class DuplicateTable(ProgrammingError):
    """The table or relation already exists (SQLSTATE 42P07)."""

    sqlstate, name = "42P07", "DUPLICATE_TABLE"


class AmbiguousParameter(ProgrammingError):
    """The type of a query parameter is ambiguous (SQLSTATE 42P08)."""

    sqlstate, name = "42P08", "AMBIGUOUS_PARAMETER"


class AmbiguousAlias(ProgrammingError):
    """An alias is ambiguous (SQLSTATE 42P09)."""

    sqlstate, name = "42P09", "AMBIGUOUS_ALIAS"


class InvalidColumnReference(ProgrammingError):
    """A column reference is invalid here (SQLSTATE 42P10)."""

    sqlstate, name = "42P10", "INVALID_COLUMN_REFERENCE"


class InvalidCursorDefinition(ProgrammingError):
    """Invalid cursor definition (SQLSTATE 42P11)."""

    sqlstate, name = "42P11", "INVALID_CURSOR_DEFINITION"


class InvalidDatabaseDefinition(ProgrammingError):
    """Invalid database definition (SQLSTATE 42P12)."""

    sqlstate, name = "42P12", "INVALID_DATABASE_DEFINITION"


class InvalidFunctionDefinition(ProgrammingError):
    """Invalid function definition (SQLSTATE 42P13)."""

    sqlstate, name = "42P13", "INVALID_FUNCTION_DEFINITION"


class InvalidPreparedStatementDefinition(ProgrammingError):
    """Invalid prepared statement definition (SQLSTATE 42P14)."""

    sqlstate, name = "42P14", "INVALID_PREPARED_STATEMENT_DEFINITION"


class InvalidSchemaDefinition(ProgrammingError):
    """Invalid schema definition (SQLSTATE 42P15)."""

    sqlstate, name = "42P15", "INVALID_SCHEMA_DEFINITION"


class InvalidTableDefinition(ProgrammingError):
    """The table definition is invalid (SQLSTATE 42P16)."""

    sqlstate, name = "42P16", "INVALID_TABLE_DEFINITION"


class InvalidObjectDefinition(ProgrammingError):
    """The object definition is invalid (SQLSTATE 42P17)."""

    sqlstate, name = "42P17", "INVALID_OBJECT_DEFINITION"


class IndeterminateDatatype(ProgrammingError):
    """The data type of a parameter or value cannot be determined (SQLSTATE 42P18)."""

    sqlstate, name = "42P18", "INDETERMINATE_DATATYPE"


class InvalidRecursion(ProgrammingError):
    """A recursive query is invalid (SQLSTATE 42P19)."""

    sqlstate, name = "42P19", "INVALID_RECURSION"


class WindowingError(ProgrammingError):
    """A window function is used wrongly (SQLSTATE 42P20)."""

    sqlstate, name = "42P20", "WINDOWING_ERROR"


class CollationMismatch(ProgrammingError):
    """Collation mismatch (SQLSTATE 42P21)."""

    sqlstate, name = "42P21", "COLLATION_MISMATCH"


class IndeterminateCollation(ProgrammingError):
    """Indeterminate collation (SQLSTATE 42P22)."""

    sqlstate, name = "42P22", "INDETERMINATE_COLLATION"


# Class 44: WITH CHECK OPTION Violation


class WithCheckOptionViolation(ProgrammingError):
    """A row violates the WITH CHECK OPTION of a view (SQLSTATE 44000)."""

    sqlstate, name = "44000", "WITH_CHECK_OPTION_VIOLATION"


# Class 53: Insufficient Resources


class InsufficientResources(OperationalError):
    """The server ran out of a resource (SQLSTATE 53000)."""

    sqlstate, name = "53000", "INSUFFICIENT_RESOURCES"


class DiskFull(OperationalError):
    """The server's disk is full (SQLSTATE 53100)."""

    sqlstate, name = "53100", "DISK_FULL"


class OutOfMemory(OperationalError):
    """The server ran out of memory (SQLSTATE 53200)."""

    sqlstate, name = "53200", "OUT_OF_MEMORY"


class TooManyConnections(OperationalError):
    """Too many connections: max_connections or a per-role or per-database limit (SQLSTATE 53300)."""

    sqlstate, name = "53300", "TOO_MANY_CONNECTIONS"


class ConfigurationLimitExceeded(OperationalError):
    """A configured limit was exceeded (SQLSTATE 53400)."""

    sqlstate, name = "53400", "CONFIGURATION_LIMIT_EXCEEDED"


# Class 54: Program Limit Exceeded


class ProgramLimitExceeded(OperationalError):
    """A program limit was exceeded (SQLSTATE 54000)."""

    sqlstate, name = "54000", "PROGRAM_LIMIT_EXCEEDED"


class StatementTooComplex(OperationalError):
    """The statement is too complex (SQLSTATE 54001)."""

    sqlstate, name = "54001", "STATEMENT_TOO_COMPLEX"


class TooManyColumns(OperationalError):
    """Too many columns (SQLSTATE 54011)."""

    sqlstate, name = "54011", "TOO_MANY_COLUMNS"


class TooManyArguments(OperationalError):
    """Too many arguments (SQLSTATE 54023)."""

    sqlstate, name = "54023", "TOO_MANY_ARGUMENTS"


# Class 55: Object Not In Prerequisite State


class ObjectNotInPrerequisiteState(OperationalError):
    """The object is not in the state the operation requires (SQLSTATE 55000)."""

    sqlstate, name = "55000", "OBJECT_NOT_IN_PREREQUISITE_STATE"


class ObjectInUse(OperationalError):
    """The object is in use by another session (SQLSTATE 55006)."""

    sqlstate, name = "55006", "OBJECT_IN_USE"


class CantChangeRuntimeParam(OperationalError):
    """The parameter cannot be changed now (SQLSTATE 55P02)."""

    sqlstate, name = "55P02", "CANT_CHANGE_RUNTIME_PARAM"


class LockNotAvailable(OperationalError):
    """A lock could not be acquired, with NOWAIT or within lock_timeout (SQLSTATE 55P03)."""

    sqlstate, name = "55P03", "LOCK_NOT_AVAILABLE"


class UnsafeNewEnumValueUsage(OperationalError):
    """Unsafe new enum value usage (SQLSTATE 55P04)."""

    sqlstate, name = "55P04", "UNSAFE_NEW_ENUM_VALUE_USAGE"


# Class 57: Operator Intervention


class OperatorIntervention(OperationalError):
    """Operator intervention (SQLSTATE 57000)."""

    sqlstate, name = "57000", "OPERATOR_INTERVENTION"


class QueryCanceled(OperationalError):
    """The query was cancelled, by request or by statement_timeout (SQLSTATE 57014)."""

    sqlstate, name = "57014", "QUERY_CANCELED"


class AdminShutdown(OperationalError):
    """The server is shutting down, or an administrator ended the session (SQLSTATE 57P01)."""

    sqlstate, name = "57P01", "ADMIN_SHUTDOWN"


class CrashShutdown(OperationalError):
    """The server is restarting after a crash of another process (SQLSTATE 57P02)."""

    sqlstate, name = "57P02", "CRASH_SHUTDOWN"


class CannotConnectNow(OperationalError):
    """The server is not accepting connections yet: starting up or in recovery (SQLSTATE 57P03)."""

    sqlstate, name = "57P03", "CANNOT_CONNECT_NOW"


class DatabaseDropped(OperationalError):
    """The database was dropped (SQLSTATE 57P04)."""

    sqlstate, name = "57P04", "DATABASE_DROPPED"


class IdleSessionTimeout(OperationalError):
    """The session stayed idle too long and was terminated (SQLSTATE 57P05)."""

    sqlstate, name = "57P05", "IDLE_SESSION_TIMEOUT"


# Class 58: System Error (errors external to PostgreSQL itself)


class SystemError(OperationalError):
    """System error outside PostgreSQL (SQLSTATE 58000)."""

    sqlstate, name = "58000", "SYSTEM_ERROR"


class IoError(OperationalError):
    """I/O error (SQLSTATE 58030)."""

    sqlstate, name = "58030", "IO_ERROR"


class UndefinedFile(OperationalError):
    """A file does not exist (SQLSTATE 58P01)."""

    sqlstate, name = "58P01", "UNDEFINED_FILE"


class DuplicateFile(OperationalError):
    """A file already exists (SQLSTATE 58P02)."""

    sqlstate, name = "58P02", "DUPLICATE_FILE"


class FileNameTooLong(OperationalError):
    """File name too long (SQLSTATE 58P03)."""

    sqlstate, name = "58P03", "FILE_NAME_TOO_LONG"


# Class 72: Snapshot Failure


class SnapshotTooOld(DatabaseError):
    """The snapshot is too old (SQLSTATE 72000)."""

    sqlstate, name = "72000", "SNAPSHOT_TOO_OLD"


# Class F0: Configuration File Error


class ConfigFileError(OperationalError):
    """The server's configuration file is invalid (SQLSTATE F0000)."""

    sqlstate, name = "F0000", "CONFIG_FILE_ERROR"


class LockFileExists(OperationalError):
    """Lock file exists (SQLSTATE F0001)."""

    sqlstate, name = "F0001", "LOCK_FILE_EXISTS"


# Class HV: Foreign Data Wrapper Error (SQL/MED)


class FdwError(OperationalError):
    """Foreign data wrapper error (SQLSTATE HV000)."""

    sqlstate, name = "HV000", "FDW_ERROR"


class FdwOutOfMemory(OperationalError):
    """Foreign data wrapper: out of memory (SQLSTATE HV001)."""

    sqlstate, name = "HV001", "FDW_OUT_OF_MEMORY"


class FdwDynamicParameterValueNeeded(OperationalError):
    """Foreign data wrapper: dynamic parameter value needed (SQLSTATE HV002)."""

    sqlstate, name = "HV002", "FDW_DYNAMIC_PARAMETER_VALUE_NEEDED"


class FdwInvalidDataType(OperationalError):
    """Foreign data wrapper: invalid data type (SQLSTATE HV004)."""

    sqlstate, name = "HV004", "FDW_INVALID_DATA_TYPE"


class FdwColumnNameNotFound(OperationalError):
    """Foreign data wrapper: column name not found (SQLSTATE HV005)."""

    sqlstate, name = "HV005", "FDW_COLUMN_NAME_NOT_FOUND"


class FdwInvalidDataTypeDescriptors(OperationalError):
    """Foreign data wrapper: invalid data type descriptors (SQLSTATE HV006)."""

    sqlstate, name = "HV006", "FDW_INVALID_DATA_TYPE_DESCRIPTORS"


class FdwInvalidColumnName(OperationalError):
    """Foreign data wrapper: invalid column name (SQLSTATE HV007)."""

    sqlstate, name = "HV007", "FDW_INVALID_COLUMN_NAME"


class FdwInvalidColumnNumber(OperationalError):
    """Foreign data wrapper: invalid column number (SQLSTATE HV008)."""

    sqlstate, name = "HV008", "FDW_INVALID_COLUMN_NUMBER"


class FdwInvalidUseOfNullPointer(OperationalError):
    """Foreign data wrapper: invalid use of null pointer (SQLSTATE HV009)."""

    sqlstate, name = "HV009", "FDW_INVALID_USE_OF_NULL_POINTER"


class FdwInvalidStringFormat(OperationalError):
    """Foreign data wrapper: invalid string format (SQLSTATE HV00A)."""

    sqlstate, name = "HV00A", "FDW_INVALID_STRING_FORMAT"


class FdwInvalidHandle(OperationalError):
    """Foreign data wrapper: invalid handle (SQLSTATE HV00B)."""

    sqlstate, name = "HV00B", "FDW_INVALID_HANDLE"


class FdwInvalidOptionIndex(OperationalError):
    """Foreign data wrapper: invalid option index (SQLSTATE HV00C)."""

    sqlstate, name = "HV00C", "FDW_INVALID_OPTION_INDEX"


class FdwInvalidOptionName(OperationalError):
    """Foreign data wrapper: invalid option name (SQLSTATE HV00D)."""

    sqlstate, name = "HV00D", "FDW_INVALID_OPTION_NAME"


class FdwOptionNameNotFound(OperationalError):
    """Foreign data wrapper: option name not found (SQLSTATE HV00J)."""

    sqlstate, name = "HV00J", "FDW_OPTION_NAME_NOT_FOUND"


class FdwReplyHandle(OperationalError):
    """Foreign data wrapper: reply handle (SQLSTATE HV00K)."""

    sqlstate, name = "HV00K", "FDW_REPLY_HANDLE"


class FdwUnableToCreateExecution(OperationalError):
    """Foreign data wrapper: unable to create execution (SQLSTATE HV00L)."""

    sqlstate, name = "HV00L", "FDW_UNABLE_TO_CREATE_EXECUTION"


class FdwUnableToCreateReply(OperationalError):
    """Foreign data wrapper: unable to create reply (SQLSTATE HV00M)."""

    sqlstate, name = "HV00M", "FDW_UNABLE_TO_CREATE_REPLY"


class FdwUnableToEstablishConnection(OperationalError):
    """Foreign data wrapper: unable to establish connection (SQLSTATE HV00N)."""

    sqlstate, name = "HV00N", "FDW_UNABLE_TO_ESTABLISH_CONNECTION"


class FdwNoSchemas(OperationalError):
    """Foreign data wrapper: no schemas (SQLSTATE HV00P)."""

    sqlstate, name = "HV00P", "FDW_NO_SCHEMAS"


class FdwSchemaNotFound(OperationalError):
    """Foreign data wrapper: schema not found (SQLSTATE HV00Q)."""

    sqlstate, name = "HV00Q", "FDW_SCHEMA_NOT_FOUND"


class FdwTableNotFound(OperationalError):
    """Foreign data wrapper: table not found (SQLSTATE HV00R)."""

    sqlstate, name = "HV00R", "FDW_TABLE_NOT_FOUND"


class FdwFunctionSequenceError(OperationalError):
    """Foreign data wrapper: function sequence error (SQLSTATE HV010)."""

    sqlstate, name = "HV010", "FDW_FUNCTION_SEQUENCE_ERROR"


class FdwTooManyHandles(OperationalError):
    """Foreign data wrapper: too many handles (SQLSTATE HV014)."""

    sqlstate, name = "HV014", "FDW_TOO_MANY_HANDLES"


class FdwInconsistentDescriptorInformation(OperationalError):
    """Foreign data wrapper: inconsistent descriptor information (SQLSTATE HV021)."""

    sqlstate, name = "HV021", "FDW_INCONSISTENT_DESCRIPTOR_INFORMATION"


class FdwInvalidAttributeValue(OperationalError):
    """Foreign data wrapper: invalid attribute value (SQLSTATE HV024)."""

    sqlstate, name = "HV024", "FDW_INVALID_ATTRIBUTE_VALUE"


class FdwInvalidStringLengthOrBufferLength(OperationalError):
    """Foreign data wrapper: invalid string length or buffer length (SQLSTATE HV090)."""

    sqlstate, name = "HV090", "FDW_INVALID_STRING_LENGTH_OR_BUFFER_LENGTH"


class FdwInvalidDescriptorFieldIdentifier(OperationalError):
    """Foreign data wrapper: invalid descriptor field identifier (SQLSTATE HV091)."""

    sqlstate, name = "HV091", "FDW_INVALID_DESCRIPTOR_FIELD_IDENTIFIER"


# Class P0: PL/pgSQL Error


class PlpgsqlError(ProgrammingError):
    """PL/pgSQL error (SQLSTATE P0000)."""

    sqlstate, name = "P0000", "PLPGSQL_ERROR"


class RaiseException(ProgrammingError):
    """A PL/pgSQL RAISE EXCEPTION without its own SQLSTATE (SQLSTATE P0001)."""

    sqlstate, name = "P0001", "RAISE_EXCEPTION"


class NoDataFound(ProgrammingError):
    """A PL/pgSQL SELECT INTO STRICT found no row (SQLSTATE P0002)."""

    sqlstate, name = "P0002", "NO_DATA_FOUND"


class TooManyRows(ProgrammingError):
    """A PL/pgSQL SELECT INTO STRICT found more than one row (SQLSTATE P0003)."""

    sqlstate, name = "P0003", "TOO_MANY_ROWS"


class AssertFailure(ProgrammingError):
    """A PL/pgSQL ASSERT failed (SQLSTATE P0004)."""

    sqlstate, name = "P0004", "ASSERT_FAILURE"


# Class XX: Internal Error


class InternalError_(InternalError):  # noqa: N801 (psycopg's name; avoids clashing with PEP 249 InternalError)
    """Internal error in the server (SQLSTATE XX000)."""

    sqlstate, name = "XX000", "INTERNAL_ERROR"


class DataCorrupted(InternalError):
    """Data corruption was detected (SQLSTATE XX001)."""

    sqlstate, name = "XX001", "DATA_CORRUPTED"


class IndexCorrupted(InternalError):
    """An index is corrupted (SQLSTATE XX002)."""

    sqlstate, name = "XX002", "INDEX_CORRUPTED"
