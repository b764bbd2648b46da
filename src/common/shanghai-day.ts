/** SQL: the Asia/Shanghai calendar day of a timestamptz expression, whatever the server's time zone. */
export const shanghaiDay = (timestamptz: string) => `(${timestamptz} AT TIME ZONE 'Asia/Shanghai')::date`;
