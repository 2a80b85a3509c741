/** The tests' DynamoDB-compatible server: the same one `npm start` uses. */
export { LOCAL_CREDENTIALS, type LocalDynamoDb, startDynalite } from '../../local/dynamodb.js';
