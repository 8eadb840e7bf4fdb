import * as z from 'zod';
import { UnknownSku, ValidationFailed } from './errors.js';
import { Money, money, multiplyMoney, percentageOf, sumMoney } from './money.js';
import { Address, type OrderLine, PlaceOrderBody, ShippingOption } from './orders.js';
import { promisedDeliveryDate } from './shipping.js';

export interface CatalogEntry {
  sku: string;
  name: string;
  price: Money;
  weightGrams: number;
  barcode: string;
}

export interface PricedOrder {
  items: OrderLine[];
  subtotal: Money;
  shipping: Money;
  tax: Money;
  total: Money;
  weightGrams: number;
}

/** Shipping by option: a base price for the first kilogram and a price per started kilogram after it. */
export const SHIPPING_RATES: Record<ShippingOption, { base: number; perKg: number }> = {
  standard: { base: 495, perKg: 100 },
  express: { base: 995, perKg: 200 },
  overnight: { base: 1995, perKg: 300 },
};

/** VAT/sales tax by destination, in basis points, charged on goods and shipping. Unlisted countries: none. */
export const TAX_RATES: Record<string, number> = {
  AT: 2000,
  BE: 2100,
  DE: 1900,
  DK: 2500,
  ES: 2100,
  FI: 2550,
  FR: 2000,
  GB: 2000,
  IE: 2300,
  IT: 2200,
  NL: 2100,
  PL: 2300,
  PT: 2300,
  SE: 2500,
};

export function shippingCost(option: ShippingOption, weightGrams: number, currency: string): Money {
  const rate = SHIPPING_RATES[option];
  const extraKg = Math.max(0, Math.ceil((weightGrams - 1000) / 1000));
  return money(rate.base + extraKg * rate.perKg, currency);
}

/** Prices an order from the catalog, never from the client. All products must share one currency. */
export function priceOrder(
  lines: readonly { sku: string; quantity: number }[],
  catalog: ReadonlyMap<string, CatalogEntry>,
  option: ShippingOption,
  country: string,
): PricedOrder {
  const unknown = lines.filter((line) => !catalog.has(line.sku)).map((line) => line.sku);
  if (unknown.length) {
    throw new UnknownSku(`Unknown SKU${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`, {
      details: unknown.map((sku) => ({
        path: `body.items.${lines.findIndex((line) => line.sku === sku)}.sku`,
        message: `no product ${sku}`,
      })),
    });
  }
  const items = lines.map((line) => {
    const product = catalog.get(line.sku) as CatalogEntry;
    return {
      sku: line.sku,
      name: product.name,
      quantity: line.quantity,
      unitPrice: product.price,
      lineTotal: multiplyMoney(product.price, line.quantity),
    };
  });
  const currencies = new Set(items.map((item) => item.unitPrice.currency));
  if (currencies.size > 1) throw new ValidationFailed(`The items are priced in different currencies (${[...currencies].join(', ')}).`);
  const [currency = 'EUR'] = currencies;
  const subtotal = sumMoney(
    items.map((item) => item.lineTotal),
    currency,
  );
  const weightGrams = lines.reduce((sum, line) => sum + (catalog.get(line.sku) as CatalogEntry).weightGrams * line.quantity, 0);
  const shipping = shippingCost(option, weightGrams, currency);
  const tax = percentageOf(sumMoney([subtotal, shipping], currency), TAX_RATES[country] ?? 0);
  return { items, subtotal, shipping, tax, total: sumMoney([subtotal, shipping, tax], currency), weightGrams };
}

/** POST /quotes: the cart and where it goes. Pricing needs only the country; other address fields are checked when given. */
export const QuoteBody = z
  .strictObject({
    items: PlaceOrderBody.shape.items,
    shippingAddress: Address.partial().required({ country: true }).meta({ id: 'QuoteAddress' }),
  })
  .meta({ id: 'QuoteBody' });
export type QuoteBody = z.infer<typeof QuoteBody>;

export const CartQuote = z
  .object({
    currency: z.string(),
    subtotal: Money,
    /** The tax on the goods alone; each option's `tax` adds its shipping's. */
    tax: Money,
    options: z.array(
      z.object({
        shippingOption: ShippingOption,
        shipping: Money,
        /** The whole tax of an order with this option: goods and shipping. */
        tax: Money,
        /** What POST /orders charges for this cart, address and option. */
        total: Money,
        estimatedDeliveryDate: z.iso.date(),
      }),
    ),
  })
  .meta({ id: 'CartQuote' });
/** What the cart costs with each shipping option: exactly what POST /orders charges for it. */
export type CartQuote = z.infer<typeof CartQuote>;

/** Prices a cart with every shipping option, each through priceOrder, as POST /orders prices an order with it. */
export function quoteCart(
  lines: readonly { sku: string; quantity: number }[],
  catalog: ReadonlyMap<string, CatalogEntry>,
  country: string,
  quotedAt: Date,
): CartQuote {
  const options = ShippingOption.options.map((option) => ({ option, priced: priceOrder(lines, catalog, option, country) }));
  const { subtotal } = (options[0] as (typeof options)[number]).priced;
  return {
    currency: subtotal.currency,
    subtotal,
    tax: percentageOf(subtotal, TAX_RATES[country] ?? 0),
    options: options.map(({ option, priced }) => ({
      shippingOption: option,
      shipping: priced.shipping,
      tax: priced.tax,
      total: priced.total,
      estimatedDeliveryDate: promisedDeliveryDate(option, quotedAt),
    })),
  };
}
